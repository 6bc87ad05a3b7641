#include "config/source.hh"

#include "util/utf8.hh"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

namespace cwf::config {
namespace {

std::string human_size(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// Past the limit, a stream is read on (and dropped) this far to tell its
// size; an endless one (validate - < /dev/zero) is cut there.
constexpr std::uint64_t kCountedBytes = 64u << 20;

Result<Source> read_capped(std::istream& in, const std::string& name) {
  Source src;
  src.name = name;
  char buf[65536];
  while (in && src.size < kCountedBytes) {
    in.read(buf, sizeof buf);
    auto n = static_cast<std::size_t>(in.gcount());
    if (src.text.size() <= kMaxSourceBytes) src.text.append(buf, std::min<std::size_t>(n, kMaxSourceBytes + 1 - src.text.size()));
    src.size += n;
  }
  if (in.bad()) return make_error(name + ": read error: " + std::strerror(errno));
  src.size_at_least = !in.eof() && src.size >= kCountedBytes;
  return src;
}

}  // namespace

Source source_from_string(std::string name, std::string text) {
  Source s;
  s.name = std::move(name);
  s.size = text.size();
  s.text = std::move(text);
  return s;
}

Result<Source> read_source(const std::string& path) {
  Source src;
  if (path == "-") {
    return read_capped(std::cin, "<stdin>");
  }
  src.name = path;
  // Only a regular file: a FIFO would block open() (and the runner's loop
  // with it) until a writer came, a device could be endless. Non-blocking
  // open, then fstat of what was opened, so nothing is swapped in between.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return make_error(path + ": " + std::strerror(errno));
  std::unique_ptr<int, void (*)(int*)> guard(&fd, [](int* f) { ::close(*f); });
  struct stat st {};
  if (::fstat(fd, &st) != 0) return make_error(path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return make_error(path + ": is a directory");
  if (!S_ISREG(st.st_mode))
    return make_error(path + ": is not a regular file (a FIFO, socket or device); give a file, or - for standard input");
  std::string text;
  text.reserve(std::min<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), kMaxSourceBytes) + 1);
  char buf[65536];
  while (text.size() <= kMaxSourceBytes) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(path + ": read error: " + std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  src.text = std::move(text);
  // The file's own size, not what was read of it: the error names the real one.
  src.size = std::max<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), src.text.size());
  return src;
}

bool check_source_bytes(const Source& src, Diagnostics& diags) {
  if (src.size > kMaxSourceBytes) {
    diags.error({1, 1}, std::string("file is too large (") + (src.size_at_least ? "more than " : "") +
                            human_size(src.size) + "); the limit is " + human_size(kMaxSourceBytes));
    return false;
  }
  std::string_view t = src.text;
  int line = 1, col = 1;
  for (std::size_t i = 0; i < t.size();) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (c >= 0x20 && c < 0x7F) {  // printable ASCII: nearly every byte
      ++col;
      ++i;
      continue;
    }
    if (c == 0) {
      diags.error({line, col}, "file contains binary data (a NUL byte); a workflows file is UTF-8 text");
      return false;
    }
    std::size_t n = utf8_sequence_length(t.substr(i));
    if (n == 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      diags.error({line, col}, std::string("invalid UTF-8 (byte ") + hex + "); a workflows file is UTF-8 text");
      return false;
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "%04X", c);
      diags.error({line, col}, std::string("control character U+") + hex + " is not allowed in YAML");
      return false;
    }
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    i += n;
  }
  return true;
}

Position find_tab_indentation(std::string_view text, int up_to_line) {
  int line = 1;
  std::size_t start = 0;
  while (start <= text.size() && line <= up_to_line) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(start, end - start);
    std::size_t first = l.find_first_not_of(" \t");
    if (first != std::string_view::npos && l[first] != '#' && l[first] != '\r') {
      std::size_t tab = l.substr(0, first).find('\t');
      if (tab != std::string_view::npos) return {line, static_cast<int>(tab) + 1};
    }
    if (end == text.size()) break;
    start = end + 1;
    ++line;
  }
  return {};
}

}  // namespace cwf::config
