#pragma once
// Private to the media worker: integrated loudness per ITU-R BS.1770-4 / EBU R128.
// K-weighting (a high shelf then the RLB high-pass, coefficients derived for the actual sample
// rate), mean square over 400 ms blocks every 100 ms (75% overlap), an absolute gate at -70 LUFS
// and a relative gate 10 LU below the loudness of the blocks that passed the absolute one.
// Channels are weighted 1.0, which is right for mono, L and R (surround inputs are measured on
// their stereo downmix).
#include <cstdint>
#include <vector>

namespace bb::beats::media {

class LoudnessMeter {
public:
    static constexpr double kFloorLufs = -70.0;  // reported when no block passes the gates (silence, < 400 ms)

    LoudnessMeter(int sample_rate, int channels);

    // Reads the first `channels` planes.
    void add(const float* const* planes, int samples);

    double integrated_lufs() const;

private:
    struct Biquad {
        double b0, b1, b2, a1, a2;
    };
    struct ChannelState {
        double s1 = 0, s2 = 0;  // high shelf (transposed direct form II)
        double h1 = 0, h2 = 0;  // high-pass
    };

    double filter_run(ChannelState& state, const float* samples, int count) const;

    Biquad shelf_{};
    Biquad highpass_{};
    std::vector<ChannelState> states_;
    int subblock_len_;            // samples in 100 ms
    int subblock_fill_ = 0;
    double subblock_energy_ = 0;  // sum over channels of squared K-weighted samples
    std::vector<double> subblocks_;
};

}  // namespace bb::beats::media
