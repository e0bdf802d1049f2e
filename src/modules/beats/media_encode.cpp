#include "modules/beats/media_encode.hpp"

#include "modules/beats/media_error.hpp"

#include <algorithm>
#include <cstring>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
}

namespace bb::beats::media {

struct Mp3Writer::Impl {
    AVFormatContext* out = nullptr;
    AVCodecContext* encoder = nullptr;
    AVStream* stream = nullptr;
    AVFrame* frame = nullptr;
    AVPacket* packet = nullptr;
    int channels = 0;
    int frame_size = 0;
    int fill = 0;
    std::int64_t next_pts = 0;
    bool small_last_frame = false;
    bool finished = false;

    ~Impl()
    {
        if (out != nullptr && out->pb != nullptr) {
            avio_closep(&out->pb);
        }
        avformat_free_context(out);
        avcodec_free_context(&encoder);
        av_frame_free(&frame);
        av_packet_free(&packet);
    }

    core::Result<void> open(const std::string& path, int sample_rate, int channel_count, std::int64_t bit_rate)
    {
        const AVCodec* codec = avcodec_find_encoder_by_name("libmp3lame");
        if (codec == nullptr) {
            return failed("this FFmpeg has no libmp3lame encoder");
        }
        encoder = avcodec_alloc_context3(codec);
        packet = av_packet_alloc();
        frame = av_frame_alloc();
        if (encoder == nullptr || packet == nullptr || frame == nullptr) {
            return failed("out of memory");
        }
        channels = channel_count;
        encoder->sample_fmt = AV_SAMPLE_FMT_FLTP;
        encoder->sample_rate = sample_rate;
        av_channel_layout_default(&encoder->ch_layout, channel_count);
        encoder->bit_rate = bit_rate;
        encoder->time_base = AVRational{1, sample_rate};
        // Nothing else is set, so LAME runs with the same defaults as `ffmpeg -b:a N out.mp3`.

        int ret = avformat_alloc_output_context2(&out, nullptr, "mp3", nullptr);
        if (ret < 0 || out == nullptr) {
            return failed("no mp3 muxer (" + av_error_text(ret) + ")");
        }
        if ((out->oformat->flags & AVFMT_GLOBALHEADER) != 0) {
            encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        }
        ret = avcodec_open2(encoder, codec, nullptr);
        if (ret < 0) {
            return failed("could not open the MP3 encoder (" + av_error_text(ret) + ")");
        }
        small_last_frame = (codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME) != 0;
        frame_size = encoder->frame_size > 0 ? encoder->frame_size : 1152;

        stream = avformat_new_stream(out, nullptr);
        if (stream == nullptr) {
            return failed("out of memory");
        }
        ret = avcodec_parameters_from_context(stream->codecpar, encoder);
        if (ret < 0) {
            return failed("encoder parameters (" + av_error_text(ret) + ")");
        }
        stream->time_base = encoder->time_base;
        // "file:" so that a path containing ':' is never taken for another protocol.
        ret = avio_open(&out->pb, ("file:" + path).c_str(), AVIO_FLAG_WRITE);
        if (ret < 0) {
            return failed("cannot create " + path + " (" + av_error_text(ret) + ")");
        }
        ret = avformat_write_header(out, nullptr);
        if (ret < 0) {
            return failed("writing the MP3 header failed (" + av_error_text(ret) + ")");
        }

        frame->format = AV_SAMPLE_FMT_FLTP;
        frame->sample_rate = sample_rate;
        frame->nb_samples = frame_size;
        ret = av_channel_layout_copy(&frame->ch_layout, &encoder->ch_layout);
        if (ret >= 0) {
            ret = av_frame_get_buffer(frame, 0);
        }
        if (ret < 0) {
            return failed("out of memory");
        }
        return {};
    }

    core::Result<void> encode(AVFrame* f)
    {
        if (f != nullptr) {
            f->pts = next_pts;
            next_pts += f->nb_samples;
        }
        int ret = avcodec_send_frame(encoder, f);
        if (ret < 0) {
            return failed("MP3 encoding failed (" + av_error_text(ret) + ")");
        }
        for (;;) {
            ret = avcodec_receive_packet(encoder, packet);
            if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
                return {};
            }
            if (ret < 0) {
                return failed("MP3 encoding failed (" + av_error_text(ret) + ")");
            }
            av_packet_rescale_ts(packet, encoder->time_base, stream->time_base);
            packet->stream_index = stream->index;
            ret = av_write_frame(out, packet);
            av_packet_unref(packet);
            if (ret < 0) {
                return failed("writing the MP3 failed (" + av_error_text(ret) + ")");
            }
        }
    }

    core::Result<void> begin_frame()
    {
        // The encoder normally drops its reference before we get here, making this a no-op.
        int ret = av_frame_make_writable(frame);
        return ret < 0 ? core::Result<void>(failed("out of memory")) : core::Result<void>();
    }
};

Mp3Writer::Mp3Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Mp3Writer::~Mp3Writer() = default;

core::Result<std::unique_ptr<Mp3Writer>>
Mp3Writer::open(const std::string& path, int sample_rate, int channels, std::int64_t bit_rate)
{
    auto impl = std::make_unique<Impl>();
    auto opened = impl->open(path, sample_rate, channels, bit_rate);
    if (!opened) {
        return opened.error();
    }
    return std::unique_ptr<Mp3Writer>(new Mp3Writer(std::move(impl)));
}

core::Result<void>
Mp3Writer::write(const float* const* planes, int samples)
{
    Impl& e = *impl_;
    int offset = 0;
    while (offset < samples) {
        if (e.fill == 0) {
            auto writable = e.begin_frame();
            if (!writable) {
                return writable;
            }
        }
        const int take = std::min(samples - offset, e.frame_size - e.fill);
        for (int ch = 0; ch < e.channels; ++ch) {
            std::memcpy(reinterpret_cast<float*>(e.frame->data[ch]) + e.fill,
                        planes[ch] + offset,
                        static_cast<std::size_t>(take) * sizeof(float));
        }
        e.fill += take;
        offset += take;
        if (e.fill == e.frame_size) {
            e.frame->nb_samples = e.frame_size;
            auto encoded = e.encode(e.frame);
            if (!encoded) {
                return encoded;
            }
            e.fill = 0;
        }
    }
    return {};
}

core::Result<void>
Mp3Writer::finish()
{
    Impl& e = *impl_;
    if (e.finished) {
        return {};
    }
    e.finished = true;
    if (e.fill > 0) {
        if (!e.small_last_frame) {
            for (int ch = 0; ch < e.channels; ++ch) {
                std::fill_n(reinterpret_cast<float*>(e.frame->data[ch]) + e.fill, e.frame_size - e.fill, 0.0f);
            }
            e.fill = e.frame_size;
        }
        e.frame->nb_samples = e.fill;
        auto encoded = e.encode(e.frame);
        if (!encoded) {
            return encoded;
        }
        e.fill = 0;
    }
    auto flushed = e.encode(nullptr);
    if (!flushed) {
        return flushed;
    }
    int ret = av_write_trailer(e.out);
    if (ret < 0) {
        return failed("writing the MP3 trailer failed (" + av_error_text(ret) + ")");
    }
    ret = avio_closep(&e.out->pb);
    if (ret < 0) {
        return failed("closing the MP3 failed (" + av_error_text(ret) + ")");
    }
    return {};
}

}  // namespace bb::beats::media
