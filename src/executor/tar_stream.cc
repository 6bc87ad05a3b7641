#include "executor/tar_stream.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace cwf::executor {
namespace {

constexpr std::size_t kBlock = 512;

// WIDTH-1 octal digits and a NUL; a value too large for them (a file past
// 8 GiB) in GNU's base-256 form instead.
void octal(char* field, std::size_t width, std::uint64_t value) {
  if (width - 1 < 22 && value >> (3 * (width - 1))) {
    for (std::size_t i = width; i-- > 1; value >>= 8) field[i] = static_cast<char>(value & 0xff);
    field[0] = static_cast<char>(0x80);
    return;
  }
  field[width - 1] = '\0';
  for (std::size_t i = width - 1; i-- > 0; value >>= 3) field[i] = static_cast<char>('0' + (value & 7));
}

void pad(std::string& out) { out.append((kBlock - out.size() % kBlock) % kBlock, '\0'); }

}  // namespace

TarStream::TarStream(std::filesystem::path root) : root_(std::move(root)) {
  std::error_code ec;
  auto it = std::filesystem::recursive_directory_iterator(root_, std::filesystem::directory_options::none, ec);
  if (ec) {
    error_ = "cannot read " + root_.string() + ": " + ec.message();
    return;
  }
  for (auto end = std::filesystem::recursive_directory_iterator(); it != end; it.increment(ec)) {
    if (ec) {
      error_ = "cannot read " + root_.string() + ": " + ec.message();
      return;
    }
    auto rel = it->path().lexically_relative(root_);
    if (it.depth() == 0 && rel == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    entries_.push_back(rel);
  }
  // Sorted: the same workspace makes the same stream, and directories come
  // before what they hold.
  std::sort(entries_.begin(), entries_.end());
}

TarStream::~TarStream() {
  if (file_) std::fclose(file_);
}

void TarStream::header(std::string& out, const std::string& name, char type, std::uint64_t size, unsigned mode,
                       std::int64_t mtime, const std::string& link) {
  if (name.size() > 100 || link.size() > 100) {
    // GNU tar's long names, which GNU and busybox tar read: an 'L' (or 'K'
    // for a link's target) entry holding the whole name first.
    for (auto [longer, t] : {std::pair{&name, 'L'}, std::pair{&link, 'K'}}) {
      if (longer->size() <= 100) continue;
      header(out, "././@LongLink", t, longer->size() + 1, 0644, 0, "");
      out.append(*longer);
      out.push_back('\0');
      pad(out);
    }
  }
  char h[kBlock] = {};
  std::memcpy(h, name.data(), std::min<std::size_t>(name.size(), 100));
  octal(h + 100, 8, mode & 07777);
  octal(h + 108, 8, 0);
  octal(h + 116, 8, 0);
  octal(h + 124, 12, size);
  octal(h + 136, 12, static_cast<std::uint64_t>(std::max<std::int64_t>(mtime, 0)));
  h[156] = type;
  std::memcpy(h + 157, link.data(), std::min<std::size_t>(link.size(), 100));
  std::memcpy(h + 257, "ustar  ", 8);  // GNU's magic, as its long names ask
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  out.append(h, kBlock);
}

bool TarStream::open_next(std::string& out) {
  while (at_ < entries_.size()) {
    const auto& rel = entries_[at_++];
    std::filesystem::path full = root_ / rel;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0) continue;  // gone since the listing
    std::string name = rel.generic_string();
    if (S_ISDIR(st.st_mode)) {
      header(out, name + "/", '5', 0, st.st_mode, st.st_mtime, "");
      return true;
    }
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      auto target = std::filesystem::read_symlink(full, ec);
      if (ec) continue;
      header(out, name, '2', 0, st.st_mode, st.st_mtime, target.string());
      return true;
    }
    if (!S_ISREG(st.st_mode)) continue;
    // What a task left in the workspace may change between lstat and open: a
    // link to a host file is not followed, a FIFO does not block the open,
    // and only what is a regular file once open is sent.
    int fd = ::open(full.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(file_ = ::fdopen(fd, "rb"))) {
      ::close(fd);
      continue;
    }
    size_ = left_ = static_cast<std::uint64_t>(st.st_size);
    header(out, name, '0', size_, st.st_mode, st.st_mtime, "");
    return true;
  }
  return false;
}

bool TarStream::next(std::string& out, std::size_t max) {
  if (done_ || !error_.empty()) return false;
  std::size_t start = out.size();
  while (out.size() - start < max) {
    if (file_) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left_, max));
      std::size_t have = out.size();
      out.resize(have + want);
      std::size_t got = want ? std::fread(out.data() + have, 1, want, file_) : 0;
      out.resize(have + got);
      left_ -= got;
      if (got < want) {
        // The file shrank while it was read: the header promised its size.
        out.append(static_cast<std::size_t>(left_), '\0');
        left_ = 0;
      }
      if (left_ == 0) {
        std::fclose(file_);
        file_ = nullptr;
        out.append((kBlock - size_ % kBlock) % kBlock, '\0');
      }
      continue;
    }
    if (!open_next(out)) {
      out.append(2 * kBlock, '\0');
      done_ = true;
      break;
    }
  }
  return out.size() > start;
}

}  // namespace cwf::executor
