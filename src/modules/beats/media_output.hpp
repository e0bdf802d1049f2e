#pragma once
// Private to the media worker: an output file that appears under its real name only when it is
// complete. Everything is written to PATH.tmp; commit() fsyncs it, renames it over PATH and
// fsyncs the directory. Without a commit (an error, an exception) the .tmp file is removed.
#include "core/error.hpp"

#include <cstdint>
#include <string>

namespace bb::beats::media {

class AtomicOutput {
public:
    explicit AtomicOutput(std::string path);
    ~AtomicOutput();
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;

    const std::string& temp_path() const { return temp_path_; }

    // Returns the size of the committed file in bytes.
    core::Result<std::int64_t> commit();

private:
    std::string path_;
    std::string temp_path_;
    bool committed_ = false;
};

}  // namespace bb::beats::media
