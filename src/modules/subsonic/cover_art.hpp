#pragma once
// Cover art for players, drawn rather than stored: a gradient whose colours come from the id,
// with the beat's waveform across it (an album shows its first beat's; an artist a disc). The
// same id and size always give the same PNG.
#include <string>
#include <vector>

namespace bb::subsonic {

// A square PNG of size x size pixels (16..1200).
std::string cover_png(const std::string& id, const std::vector<double>& peaks, int size);

}  // namespace bb::subsonic
