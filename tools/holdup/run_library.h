#pragma once
// Where `holdup run` finds the recorder library.

#include <filesystem>
#include <optional>
#include <string>

namespace holdup::cli {

// The absolute path of libholdup.so, or nullopt with *error naming every
// place looked and what to do.
std::optional<std::filesystem::path> find_recorder_library(std::string* error);

}  // namespace holdup::cli
