#include "modules/beats/media_loudness.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace bb::beats::media {

LoudnessMeter::LoudnessMeter(int sample_rate, int channels)
    : states_(static_cast<std::size_t>(std::max(1, channels))), subblock_len_(std::max(1, sample_rate / 10))
{
    // The BS.1770 filters are specified at 48 kHz; these are their analogue prototypes, as
    // derived in libebur128, so any rate gets the same response.
    const double rate = sample_rate;
    {
        const double f0 = 1681.974450955533;
        const double gain_db = 3.999843853973347;
        const double q = 0.7071752369554196;
        const double k = std::tan(std::numbers::pi * f0 / rate);
        const double vh = std::pow(10.0, gain_db / 20.0);
        const double vb = std::pow(vh, 0.4996667741545416);
        const double a0 = 1.0 + k / q + k * k;
        shelf_ = {(vh + vb * k / q + k * k) / a0,
                  2.0 * (k * k - vh) / a0,
                  (vh - vb * k / q + k * k) / a0,
                  2.0 * (k * k - 1.0) / a0,
                  (1.0 - k / q + k * k) / a0};
    }
    {
        const double f0 = 38.13547087602444;
        const double q = 0.5003270373238773;
        const double k = std::tan(std::numbers::pi * f0 / rate);
        const double a0 = 1.0 + k / q + k * k;
        highpass_ = {1.0, -2.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0};
    }
}

double
LoudnessMeter::filter_run(ChannelState& st, const float* samples, int count) const
{
    const Biquad s = shelf_;
    const Biquad h = highpass_;
    double s1 = st.s1, s2 = st.s2, h1 = st.h1, h2 = st.h2;
    double energy = 0;
    for (int i = 0; i < count; ++i) {
        const double x = samples[i];
        const double y = s.b0 * x + s1;
        s1 = s.b1 * x - s.a1 * y + s2;
        s2 = s.b2 * x - s.a2 * y;
        const double z = h.b0 * y + h1;
        h1 = h.b1 * y - h.a1 * z + h2;
        h2 = h.b2 * y - h.a2 * z;
        energy += z * z;
    }
    // Long silences would otherwise decay the state into denormals, which are very slow.
    auto flush = [](double& v) {
        if (std::fabs(v) < 1e-30) {
            v = 0;
        }
    };
    flush(s1), flush(s2), flush(h1), flush(h2);
    st.s1 = s1, st.s2 = s2, st.h1 = h1, st.h2 = h2;
    return energy;
}

void
LoudnessMeter::add(const float* const* planes, int samples)
{
    int offset = 0;
    while (offset < samples) {
        const int run = std::min(samples - offset, subblock_len_ - subblock_fill_);
        for (std::size_t ch = 0; ch < states_.size(); ++ch) {
            subblock_energy_ += filter_run(states_[ch], planes[ch] + offset, run);
        }
        offset += run;
        subblock_fill_ += run;
        if (subblock_fill_ == subblock_len_) {
            subblocks_.push_back(subblock_energy_);
            subblock_energy_ = 0;
            subblock_fill_ = 0;
        }
    }
}

double
LoudnessMeter::integrated_lufs() const
{
    // Only complete 400 ms blocks count, as the standard says; a shorter input has none.
    if (subblocks_.size() < 4) {
        return kFloorLufs;
    }
    const double block_len = 4.0 * subblock_len_;
    std::vector<double> blocks;  // mean square (channel-summed) of each 400 ms block
    blocks.reserve(subblocks_.size() - 3);
    for (std::size_t i = 0; i + 3 < subblocks_.size(); ++i) {
        blocks.push_back((subblocks_[i] + subblocks_[i + 1] + subblocks_[i + 2] + subblocks_[i + 3]) / block_len);
    }
    auto loudness = [](double mean_square) { return -0.691 + 10.0 * std::log10(mean_square); };
    auto gated_mean = [&](double gate_lufs) {
        double sum = 0;
        std::size_t count = 0;
        for (double z : blocks) {
            if (z > 0 && loudness(z) > gate_lufs) {
                sum += z;
                ++count;
            }
        }
        return count == 0 ? 0.0 : sum / static_cast<double>(count);
    };
    const double absolute = gated_mean(kFloorLufs);
    if (absolute <= 0) {
        return kFloorLufs;
    }
    const double relative = gated_mean(loudness(absolute) - 10.0);
    if (relative <= 0) {
        return kFloorLufs;
    }
    return std::max(kFloorLufs, loudness(relative));
}

}  // namespace bb::beats::media
