#pragma once
// Private to the media worker: the waveform overview. Keeps the maximum |sample| of fixed-size
// blocks while audio streams through (the block size doubles whenever there are too many, so
// memory stays bounded however long the input is), then folds them into the requested number of
// buckets once the length is known.
#include <cstdint>
#include <vector>

namespace bb::beats::media {

class PeakEnvelope {
public:
    void add(const float* const* planes, int channels, int samples);

    // Exactly `count` values in 0..1, the loudest |sample| of each bucket across channels.
    std::vector<float> buckets(int count) const;

private:
    static constexpr std::size_t kMaxBlocks = std::size_t{1} << 16;

    std::int64_t block_len_ = 16;
    std::int64_t fill_ = 0;
    float current_ = 0;
    std::vector<float> blocks_;
};

}  // namespace bb::beats::media
