#include "modules/beats/media_decode.hpp"

#include "modules/beats/media_error.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libswresample/swresample.h>
}

namespace bb::beats::media {

namespace {

constexpr int kIoBufferSize = 64 * 1024;
constexpr const char* kProbeSize = "5000000";         // bytes
constexpr const char* kAnalyzeDuration = "10000000";  // microseconds
constexpr int kMaxChannels = 32;
constexpr int kMaxBadPacketsBeforeAudio = 200;  // garbage that merely looks like a stream
constexpr int kMinOutputCapacity = 8192;

constexpr AVCodecID kAllowedCodecs[] = {
    AV_CODEC_ID_MP3,       AV_CODEC_ID_MP2,       AV_CODEC_ID_FLAC,      AV_CODEC_ID_VORBIS,
    AV_CODEC_ID_OPUS,      AV_CODEC_ID_AAC,       AV_CODEC_ID_ALAC,      AV_CODEC_ID_PCM_S16LE,
    AV_CODEC_ID_PCM_S16BE, AV_CODEC_ID_PCM_S24LE, AV_CODEC_ID_PCM_S24BE, AV_CODEC_ID_PCM_S32LE,
    AV_CODEC_ID_PCM_S32BE, AV_CODEC_ID_PCM_F32LE, AV_CODEC_ID_PCM_F32BE, AV_CODEC_ID_PCM_F64LE,
    AV_CODEC_ID_PCM_F64BE, AV_CODEC_ID_PCM_U8,    AV_CODEC_ID_PCM_S8,    AV_CODEC_ID_PCM_ALAW,
    AV_CODEC_ID_PCM_MULAW,
};

bool
allowed_codec(AVCodecID id)
{
    return std::find(std::begin(kAllowedCodecs), std::end(kAllowedCodecs), id) != std::end(kAllowedCodecs);
}

// The names of every decoder for the allowed codecs ("mp3float,mp3,flac,..."), for the format
// context's codec_whitelist: avformat_find_stream_info must not run, say, a video decoder on a
// stream we are going to ignore anyway.
const std::string&
decoder_whitelist()
{
    static const std::string names = [] {
        std::string out;
        void* it = nullptr;
        while (const AVCodec* codec = av_codec_iterate(&it)) {
            if (av_codec_is_decoder(codec) != 0 && allowed_codec(codec->id)) {
                out += out.empty() ? "" : ",";
                out += codec->name;
            }
        }
        return out;
    }();
    return names;
}

int
refuse_io_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**)
{
    return AVERROR(EPERM);
}

bool
is_float_format(int format)
{
    return format == AV_SAMPLE_FMT_FLT || format == AV_SAMPLE_FMT_FLTP || format == AV_SAMPLE_FMT_DBL ||
           format == AV_SAMPLE_FMT_DBLP;
}

class Dictionary {
public:
    Dictionary() = default;
    ~Dictionary() { av_dict_free(&dict_); }
    Dictionary(const Dictionary&) = delete;
    Dictionary& operator=(const Dictionary&) = delete;

    void set(const char* key, const char* value) { av_dict_set(&dict_, key, value, 0); }
    AVDictionary** get() { return &dict_; }

private:
    AVDictionary* dict_ = nullptr;
};

}  // namespace

struct AudioInput::Impl {
    int fd = -1;
    std::int64_t file_size = 0;
    AVIOContext* io = nullptr;
    AVFormatContext* format = nullptr;
    AVCodecContext* decoder = nullptr;
    AVPacket* packet = nullptr;
    AVFrame* frame = nullptr;
    int stream_index = -1;
    SourceInfo info;

    std::int64_t frames_decoded = 0;
    int bad_packets = 0;
    std::string last_error;  // why the stream ended early or a packet was refused, for messages
    bool input_ended = false;

    // The resampler and what it was built for; rebuilt if a stream changes format midway.
    SwrContext* swr = nullptr;
    int swr_format = -1;
    int swr_rate = 0;
    AVChannelLayout swr_layout{};
    std::vector<float> buffers[2];
    float* planes[2] = {nullptr, nullptr};
    int capacity = 0;

    ~Impl()
    {
        swr_free(&swr);
        av_channel_layout_uninit(&swr_layout);
        av_frame_free(&frame);
        av_packet_free(&packet);
        avcodec_free_context(&decoder);
        avformat_close_input(&format);  // AVFMT_FLAG_CUSTOM_IO: leaves io to us
        if (io != nullptr) {
            av_freep(&io->buffer);
            avio_context_free(&io);
        }
        if (fd >= 0) {
            ::close(fd);
        }
    }

    static int read_cb(void* opaque, std::uint8_t* buf, int size)
    {
        auto* self = static_cast<Impl*>(opaque);
        for (;;) {
            ssize_t n = ::read(self->fd, buf, static_cast<std::size_t>(size));
            if (n > 0) {
                return static_cast<int>(n);
            }
            if (n == 0) {
                return AVERROR_EOF;
            }
            if (errno != EINTR) {
                return AVERROR(errno);
            }
        }
    }

    static std::int64_t seek_cb(void* opaque, std::int64_t offset, int whence)
    {
        auto* self = static_cast<Impl*>(opaque);
        if ((whence & AVSEEK_SIZE) != 0) {
            return self->file_size;
        }
        off_t r = ::lseek(self->fd, static_cast<off_t>(offset), whence & ~AVSEEK_FORCE);
        return r < 0 ? AVERROR(errno) : static_cast<std::int64_t>(r);
    }

    core::Result<void> open(const std::string& path)
    {
        // O_NONBLOCK: opening a FIFO must not hang; it is refused just below.
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
            return failed("open " + path + ": " + std::strerror(errno));
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            return failed("stat " + path + ": " + std::strerror(errno));
        }
        if (!S_ISREG(st.st_mode)) {
            return unsupported("not a regular file");
        }
        if (st.st_size == 0) {
            return unsupported("the file is empty");
        }
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        file_size = st.st_size;

        auto* buffer = static_cast<std::uint8_t*>(av_malloc(kIoBufferSize));
        if (buffer == nullptr) {
            return failed("out of memory");
        }
        io = avio_alloc_context(buffer, kIoBufferSize, 0, this, &Impl::read_cb, nullptr, &Impl::seek_cb);
        if (io == nullptr) {
            av_free(buffer);
            return failed("out of memory");
        }
        format = avformat_alloc_context();
        if (format == nullptr) {
            return failed("out of memory");
        }
        format->pb = io;
        format->flags |= AVFMT_FLAG_CUSTOM_IO;
        format->io_open = &refuse_io_open;

        Dictionary options;
        options.set("protocol_whitelist", "file");
        options.set("format_whitelist", kFormatWhitelist);
        options.set("codec_whitelist", decoder_whitelist().c_str());
        options.set("probesize", kProbeSize);
        options.set("analyzeduration", kAnalyzeDuration);
        // The name only serves as a hint for probing (by extension); it is never opened.
        int ret = avformat_open_input(&format, path.c_str(), nullptr, options.get());
        if (ret < 0) {
            // Usually EINVAL (no demuxer on the whitelist recognised it) or INVALIDDATA.
            std::string why = ret == AVERROR(EINVAL) || ret == AVERROR_INVALIDDATA ? "" : " (" + av_error_text(ret) + ")";
            return unsupported("not an audio file we accept (WAV, AIFF, FLAC, MP3, Ogg Vorbis/Opus, M4A, W64, CAF)" +
                               why);
        }
        // Before stream analysis, so nothing but audio is ever read into a decoder.
        for (unsigned i = 0; i < format->nb_streams; ++i) {
            if (format->streams[i]->codecpar->codec_type != AVMEDIA_TYPE_AUDIO) {
                format->streams[i]->discard = AVDISCARD_ALL;
            }
        }
        ret = avformat_find_stream_info(format, nullptr);
        if (ret < 0) {
            return unsupported("could not read the stream information (" + av_error_text(ret) + ")");
        }
        const AVCodec* codec = nullptr;
        stream_index = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
        if (stream_index < 0) {
            return unsupported("the file contains no audio stream");
        }
        AVStream* stream = format->streams[stream_index];
        for (unsigned i = 0; i < format->nb_streams; ++i) {
            if (static_cast<int>(i) != stream_index) {
                format->streams[i]->discard = AVDISCARD_ALL;
            }
        }
        if (codec == nullptr || !allowed_codec(stream->codecpar->codec_id)) {
            return unsupported(std::string("audio codec '") + avcodec_get_name(stream->codecpar->codec_id) +
                               "' is not supported");
        }
        decoder = avcodec_alloc_context3(codec);
        if (decoder == nullptr) {
            return failed("out of memory");
        }
        ret = avcodec_parameters_to_context(decoder, stream->codecpar);
        if (ret < 0) {
            return unsupported("bad codec parameters (" + av_error_text(ret) + ")");
        }
        decoder->pkt_timebase = stream->time_base;
        decoder->thread_count = 1;  // audio decoders gain little from threads; fewer moving parts
        ret = avcodec_open2(decoder, codec, nullptr);
        if (ret < 0) {
            return unsupported("could not open the audio decoder (" + av_error_text(ret) + ")");
        }
        packet = av_packet_alloc();
        frame = av_frame_alloc();
        if (packet == nullptr || frame == nullptr) {
            return failed("out of memory");
        }

        std::string name = format->iformat->name;
        info.format = name.substr(0, name.find(','));
        info.codec = avcodec_get_name(stream->codecpar->codec_id);
        info.sample_rate = stream->codecpar->sample_rate;
        info.channels = stream->codecpar->ch_layout.nb_channels;
        if (format->duration != AV_NOPTS_VALUE && format->duration > 0) {
            info.duration_ms = av_rescale(format->duration, 1000, AV_TIME_BASE);
        } else if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
            info.duration_ms = av_rescale_q(stream->duration, stream->time_base, AVRational{1, 1000});
        }
        return {};
    }

    // Feeds packets to the decoder and hands each frame to on_frame until it returns false or
    // the input ends. Corrupt packets are skipped, as the ffmpeg tool does.
    template <class OnFrame>
    core::Result<void> pump(OnFrame&& on_frame)
    {
        auto receive = [&]() -> core::Result<bool> {  // true: stop
            for (;;) {
                int ret = avcodec_receive_frame(decoder, frame);
                if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
                    return false;
                }
                if (ret == AVERROR_INVALIDDATA) {
                    ++bad_packets;
                    last_error = av_error_text(ret);
                    continue;
                }
                if (ret < 0) {
                    return failed("decoding failed (" + av_error_text(ret) + ")");
                }
                ++frames_decoded;
                auto more = on_frame(frame);
                av_frame_unref(frame);
                if (!more) {
                    return more.error();
                }
                if (!*more) {
                    return true;
                }
            }
        };
        while (!input_ended) {
            int ret = av_read_frame(format, packet);
            if (ret < 0) {
                // End of file, or a read error in the middle: treated as the end, like ffmpeg does.
                if (ret != AVERROR_EOF) {
                    last_error = av_error_text(ret);
                }
                input_ended = true;
                break;
            }
            if (packet->stream_index != stream_index) {
                av_packet_unref(packet);
                continue;
            }
            ret = avcodec_send_packet(decoder, packet);
            av_packet_unref(packet);
            if (ret == AVERROR_INVALIDDATA) {
                ++bad_packets;
                last_error = av_error_text(ret);
                if (frames_decoded == 0 && bad_packets > kMaxBadPacketsBeforeAudio) {
                    return unsupported("no decodable audio (" + last_error + ")");
                }
                continue;
            }
            if (ret < 0) {
                return failed("decoding failed (" + av_error_text(ret) + ")");
            }
            auto stop = receive();
            if (!stop) {
                return stop.error();
            }
            if (*stop) {
                return {};
            }
        }
        if (avcodec_send_packet(decoder, nullptr) >= 0) {  // drain the decoder's delay
            auto stop = receive();
            if (!stop) {
                return stop.error();
            }
        }
        return {};
    }

    core::Result<void> no_audio_error() const
    {
        return unsupported("no decodable audio" + (last_error.empty() ? std::string() : " (" + last_error + ")"));
    }

    void ensure_capacity(int samples, int channels)
    {
        if (samples <= capacity) {
            return;
        }
        capacity = std::max(samples, kMinOutputCapacity);
        for (int ch = 0; ch < channels; ++ch) {
            buffers[ch].resize(static_cast<std::size_t>(capacity));
            planes[ch] = buffers[ch].data();
        }
    }

    core::Result<void> build_resampler(const AVFrame* f, const PcmTarget& target)
    {
        swr_free(&swr);
        av_channel_layout_uninit(&swr_layout);
        const int channels = f->ch_layout.nb_channels;
        if (channels <= 0 || channels > kMaxChannels) {
            return unsupported("unsupported channel count " + std::to_string(channels));
        }
        int ret = 0;
        if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || av_channel_layout_check(&f->ch_layout) == 0) {
            av_channel_layout_default(&swr_layout, channels);
        } else {
            ret = av_channel_layout_copy(&swr_layout, &f->ch_layout);
        }
        AVChannelLayout out_layout{};
        av_channel_layout_default(&out_layout, target.channels);
        if (ret >= 0) {
            ret = swr_alloc_set_opts2(&swr,
                                      &out_layout,
                                      AV_SAMPLE_FMT_FLTP,
                                      target.sample_rate,
                                      &swr_layout,
                                      static_cast<AVSampleFormat>(f->format),
                                      f->sample_rate,
                                      0,
                                      nullptr);
        }
        av_channel_layout_uninit(&out_layout);
        if (ret >= 0 && channels == 1 && target.channels == 2) {
            const double to_both[2] = {1.0, 1.0};  // out[0] and out[1] from in[0]
            ret = swr_set_matrix(swr, to_both, 1);
        }
        if (ret >= 0) {
            ret = swr_init(swr);
        }
        if (ret < 0) {
            return unsupported("cannot convert this audio (" + av_error_text(ret) + ")");
        }
        swr_format = f->format;
        swr_rate = f->sample_rate;
        return {};
    }

    bool resampler_matches(const AVFrame* f) const
    {
        if (swr == nullptr || f->format != swr_format || f->sample_rate != swr_rate) {
            return false;
        }
        if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
            return f->ch_layout.nb_channels == swr_layout.nb_channels;
        }
        return av_channel_layout_compare(&f->ch_layout, &swr_layout) == 0;
    }

    // Float decoders can emit values far beyond full scale (a corrupt MP3 reads +50 LUFS), NaN
    // or infinity (one would poison every later value of the loudness filter). Clip as a player
    // would; integer formats cannot exceed full scale, so they skip this pass.
    void clip_to_full_scale(int channels, int count)
    {
        for (int ch = 0; ch < channels; ++ch) {
            float* p = planes[ch];
            for (int i = 0; i < count; ++i) {
                const float v = p[i];
                p[i] = v > 1.0f ? 1.0f : (v < -1.0f ? -1.0f : (v == v ? v : 0.0f));
            }
        }
    }

    // Converts `count` input samples (or, with in == nullptr, what the resampler still holds)
    // and hands the result to the sink.
    core::Result<std::int64_t> convert(const std::uint8_t** in,
                                       int count,
                                       const PcmTarget& target,
                                       bool sanitize,
                                       const Sink& sink)
    {
        std::int64_t total = 0;
        for (;;) {
            int bound = swr_get_out_samples(swr, count);
            if (bound < 0) {
                return failed("resampler failed (" + av_error_text(bound) + ")");
            }
            ensure_capacity(bound + 16, target.channels);
            int got = swr_convert(swr, reinterpret_cast<std::uint8_t**>(planes), capacity, in, count);
            if (got < 0) {
                return failed("resampler failed (" + av_error_text(got) + ")");
            }
            if (got > 0) {
                if (sanitize) {
                    clip_to_full_scale(target.channels, got);
                }
                auto delivered = sink(planes, got);
                if (!delivered) {
                    return delivered.error();
                }
                total += got;
            }
            if (in != nullptr || got == 0) {
                return total;
            }
        }
    }
};

AudioInput::AudioInput(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AudioInput::~AudioInput() = default;

core::Result<std::unique_ptr<AudioInput>>
AudioInput::open(const std::string& path)
{
    auto impl = std::make_unique<Impl>();
    auto opened = impl->open(path);
    if (!opened) {
        return opened.error();
    }
    return std::unique_ptr<AudioInput>(new AudioInput(std::move(impl)));
}

const SourceInfo&
AudioInput::info() const
{
    return impl_->info;
}

core::Result<void>
AudioInput::decode_first(int frames)
{
    Impl& d = *impl_;
    int seen = 0;
    auto pumped = d.pump([&](const AVFrame* f) -> core::Result<bool> {
        if (f->nb_samples <= 0) {
            return true;
        }
        d.info.sample_rate = f->sample_rate;
        d.info.channels = f->ch_layout.nb_channels;
        return ++seen < frames;
    });
    if (!pumped) {
        return pumped.error();
    }
    if (seen == 0 || d.info.sample_rate <= 0 || d.info.channels <= 0) {
        return d.no_audio_error();
    }
    if (d.info.duration_ms == 0) {
        // The container did not say. Decoding everything just to find out is not worth it for a
        // probe; summing the packet durations is exact for every format we accept.
        std::int64_t ticks = 0;
        bool known = true;
        AVStream* stream = d.format->streams[d.stream_index];
        av_seek_frame(d.format, d.stream_index, 0, AVSEEK_FLAG_BACKWARD);
        while (av_read_frame(d.format, d.packet) >= 0) {
            if (d.packet->stream_index == d.stream_index) {
                known = known && d.packet->duration > 0;
                ticks += d.packet->duration;
            }
            av_packet_unref(d.packet);
        }
        if (known) {
            d.info.duration_ms = av_rescale_q(ticks, stream->time_base, AVRational{1, 1000});
        }
    }
    return {};
}

core::Result<std::int64_t>
AudioInput::decode_all(const PcmTarget& target, const Sink& sink)
{
    Impl& d = *impl_;
    std::int64_t total = 0;
    bool sanitize = false;
    auto pumped = d.pump([&](const AVFrame* f) -> core::Result<bool> {
        if (f->nb_samples <= 0) {
            return true;
        }
        if (!d.resampler_matches(f)) {
            if (d.swr != nullptr) {
                auto rest = d.convert(nullptr, 0, target, sanitize, sink);
                if (!rest) {
                    return rest.error();
                }
                total += *rest;
            }
            auto built = d.build_resampler(f, target);
            if (!built) {
                return built.error();
            }
            sanitize = is_float_format(f->format);
        }
        auto n = d.convert(const_cast<const std::uint8_t**>(f->extended_data), f->nb_samples, target, sanitize, sink);
        if (!n) {
            return n.error();
        }
        total += *n;
        return true;
    });
    if (!pumped) {
        return pumped.error();
    }
    if (d.swr != nullptr) {
        auto rest = d.convert(nullptr, 0, target, sanitize, sink);
        if (!rest) {
            return rest.error();
        }
        total += *rest;
    }
    if (total == 0) {
        return d.no_audio_error().error();
    }
    return total;
}

}  // namespace bb::beats::media
