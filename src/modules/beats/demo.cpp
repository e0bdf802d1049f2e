// The demo catalogue: a few producers and beats whose audio FFmpeg synthesises, stored and
// processed exactly like uploads, so a newcomer opens a living store.
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "modules/beats/demo.hpp"

#include <array>
#include <random>

namespace bb::beats {
namespace {

struct Style {
    const char* genre;
    int bpm_low;
    int bpm_high;
    std::array<const char*, 3> moods;
    std::array<const char*, 4> tags;
};

constexpr std::array<Style, 6> kStyles = {{
    {"trap", 130, 150, {"dark", "aggressive", "hype"}, {"808", "hi-hats", "hard", "atlanta"}},
    {"lofi", 70, 90, {"chill", "nostalgic", "dreamy"}, {"vinyl", "study", "jazzy", "mellow"}},
    {"boom bap", 85, 98, {"gritty", "soulful", "classic"}, {"sample", "dusty", "90s", "drums"}},
    {"drill", 138, 145, {"dark", "tense", "cold"}, {"sliding 808", "uk", "menacing", "bounce"}},
    {"rnb", 65, 80, {"romantic", "smooth", "warm"}, {"keys", "silky", "late night", "vocals"}},
    {"afrobeat", 100, 115, {"happy", "sunny", "dance"}, {"percussion", "guitar", "groove", "summer"}},
}};
constexpr std::array<const char*, 12> kKeys = {"C minor", "A minor", "F minor", "G minor", "D minor", "E minor",
                                               "C major", "G major", "F major", "B minor", "D major", "A major"};
constexpr std::array<const char*, 16> kWordsA = {"Midnight", "Velvet", "Neon", "Golden", "Broken", "Silent",
                                                 "Electric", "Lunar", "Crimson", "Paper", "Frozen", "Smoke",
                                                 "Desert", "Ocean", "Concrete", "Glass"};
constexpr std::array<const char*, 16> kWordsB = {"Dreams", "Streets", "Waves", "Echoes", "Skyline", "Ghosts",
                                                 "Rain", "Fever", "Motion", "Signals", "Mirage", "Pulse",
                                                 "Garden", "Horizon", "Static", "Letters"};
constexpr std::array<const char*, 4> kProducers = {"nightowl_beats", "lofi_lena", "trapstar_tm", "dusty_fingers"};

}  // namespace

core::Result<int>
create_demo_catalogue(Service& service, users::UsersModule& users, const MediaClient& media, const Storage& storage,
                      int count)
{
    std::vector<std::string> producers;
    for (const char* name : kProducers) {
        auto existing = users.find(name);
        if (existing) {
            producers.push_back(existing->user_id);
            continue;
        }
        auto made = users.create({name, std::string(name) + "@demo.backbeat.local",
                                         core::crypto::hex(core::crypto::random_bytes(12)), false});
        if (!made) {
            return made.error();
        }
        producers.push_back(made->user_id);
    }
    std::mt19937 rng(20261121);
    int created = 0;
    for (int i = 0; i < count; ++i) {
        const Style& style = kStyles[static_cast<std::size_t>(i) % kStyles.size()];
        const int bpm = style.bpm_low + static_cast<int>(rng() % static_cast<unsigned>(style.bpm_high - style.bpm_low + 1));
        const std::string key = kKeys[rng() % kKeys.size()];
        const std::string wav = storage.scratch("demo-" + core::new_id() + ".wav");
        if (auto synth = media.synth(wav, i + 1, bpm, 24 + static_cast<int>(rng() % 13), key); !synth) {
            return synth.error();
        }
        auto probe = media.probe(wav);
        if (!probe) {
            return probe.error();
        }
        BeatChanges meta;
        // Distinct for the first 256 beats: every (A, B) pair at most once.
        meta.title = std::string(kWordsA[static_cast<std::size_t>(i) % kWordsA.size()]) + " " +
                     kWordsB[(static_cast<std::size_t>(i) * 7 + static_cast<std::size_t>(i) / kWordsA.size()) % kWordsB.size()];
        const std::string& producer = producers[static_cast<std::size_t>(i) % producers.size()];
        meta.artist = kProducers[static_cast<std::size_t>(i) % kProducers.size()];
        meta.price_cents = 1999 + static_cast<std::int64_t>(rng() % 8) * 1000;
        meta.genre = style.genre;
        meta.bpm = bpm;
        meta.key = key;
        meta.mood = style.moods[rng() % style.moods.size()];
        const auto first_tag = rng() % 4;
        meta.tags = std::vector<std::string>{style.tags[first_tag], style.tags[(first_tag + 1 + rng() % 3) % 4], style.genre};
        meta.description = "A demo beat synthesised by FFmpeg at " + std::to_string(bpm) + " BPM in " + key + ".";
        if (i % 3 == 0) {
            meta.licenses = std::vector<License>{
                {"basic", *meta.price_cents, "USD", default_files("basic"), ""},
                {"premium", *meta.price_cents * 2, "USD", default_files("premium"), ""},
                {"exclusive", *meta.price_cents * 10, "USD", default_files("exclusive"), ""}};
            for (auto& l : *meta.licenses) {
                l.terms = default_terms(l.type);
            }
        }
        auto beat = service.create(producer, wav, core::crypto::sha256_file_hex(wav), *probe, meta);
        if (!beat) {
            return beat.error();
        }
        ++created;
    }
    core::log::info("beats", "demo catalogue queued", {{"beats", created}});
    return created;
}

}  // namespace bb::beats
