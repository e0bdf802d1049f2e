#include "modules/beats/media_peaks.hpp"

#include <algorithm>
#include <cmath>

namespace bb::beats::media {

void
PeakEnvelope::add(const float* const* planes, int channels, int samples)
{
    std::int64_t offset = 0;
    while (offset < samples) {
        const auto run = std::min<std::int64_t>(samples - offset, block_len_ - fill_);
        float peak = current_;
        for (int ch = 0; ch < channels; ++ch) {
            const float* p = planes[ch] + offset;
            for (std::int64_t i = 0; i < run; ++i) {
                peak = std::max(peak, std::fabs(p[i]));
            }
        }
        current_ = peak;
        offset += run;
        fill_ += run;
        if (fill_ == block_len_) {
            blocks_.push_back(current_);
            current_ = 0;
            fill_ = 0;
            if (blocks_.size() == kMaxBlocks) {
                for (std::size_t i = 0; i < kMaxBlocks / 2; ++i) {
                    blocks_[i] = std::max(blocks_[2 * i], blocks_[2 * i + 1]);
                }
                blocks_.resize(kMaxBlocks / 2);
                block_len_ *= 2;
            }
        }
    }
}

std::vector<float>
PeakEnvelope::buckets(int count) const
{
    std::vector<float> out(static_cast<std::size_t>(std::max(0, count)), 0.0f);
    std::vector<float> blocks = blocks_;
    if (fill_ > 0) {
        blocks.push_back(current_);
    }
    const auto total = static_cast<std::int64_t>(blocks.size());
    if (total == 0) {
        return out;
    }
    for (std::int64_t i = 0; i < count; ++i) {
        std::int64_t begin = i * total / count;
        std::int64_t end = std::max(begin + 1, (i + 1) * total / count);  // a short input repeats blocks
        begin = std::min(begin, total - 1);
        end = std::min(end, total);
        float peak = 0;
        for (std::int64_t b = begin; b < end; ++b) {
            peak = std::max(peak, blocks[static_cast<std::size_t>(b)]);
        }
        out[static_cast<std::size_t>(i)] = std::clamp(peak, 0.0f, 1.0f);  // decoders may overshoot 1.0
    }
    return out;
}

}  // namespace bb::beats::media
