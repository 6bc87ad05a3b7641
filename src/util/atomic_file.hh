#pragma once

// Replacing a file whole or not at all: the new content goes to PATH.tmp,
// is flushed to the disk and checked, and only then renamed over PATH. On
// any failure (a full disk, an I/O error) PATH keeps its old content.

#include <filesystem>
#include <string_view>

#include "util/result.hh"

namespace cwf {

Result<bool> write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace cwf
