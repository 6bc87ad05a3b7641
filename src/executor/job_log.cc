#include "executor/job_log.hh"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

#include "util/utf8.hh"

namespace cwf::executor {
namespace {

// A line longer than this is written in pieces, so a task printing one
// endless line (or binary data) cannot grow the runner's memory.
constexpr std::size_t kMaxPending = 64 * 1024;
constexpr std::size_t kFlushAt = 256 * 1024;

}  // namespace

std::string format_time(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::optional<std::string> sanitize_utf8(std::string_view text) {
  auto bad_or_length = [&](std::size_t i) -> std::size_t {  // 0: a byte to replace
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x01 && c < 0x80) return 1;
    return c == 0 ? 0 : utf8_sequence_length(text.substr(i));
  };
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t n = bad_or_length(i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return std::nullopt;
  std::string out(text.substr(0, i));
  while (i < text.size()) {
    std::size_t n = bad_or_length(i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

JobLog::JobLog(std::filesystem::path data_dir, std::int64_t job_id, Masker masker, std::uint64_t cap,
               std::ostream* echo)
    : rel_path_("logs/" + std::to_string(job_id) + ".log"), masker_(std::move(masker)), cap_(cap), echo_(echo) {
  buffer_.reserve(kFlushAt + kMaxPending);
  std::error_code ec;
  std::filesystem::create_directories(data_dir / "logs", ec);
  fd_ = ::open((data_dir / rel_path_).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) error_ = "cannot write the log " + (data_dir / rel_path_).string() + ": " + std::strerror(errno);
}

JobLog::~JobLog() {
  close_task(stamp_ms_);
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t JobLog::open_task() {
  close_task(stamp_ms_);
  task_bytes_ = 0;
  return offset_;
}

const std::string& JobLog::stamp(std::int64_t now_ms) {
  if (now_ms != stamp_ms_) {
    stamp_ = format_time(now_ms);
    stamp_ms_ = now_ms;
  }
  return stamp_;
}

void JobLog::output(std::string_view chunk, std::int64_t now_ms) {
  std::size_t start = 0;
  if (!pending_.empty()) {  // the line the last chunk left open
    const void* hit = std::memchr(chunk.data(), '\n', chunk.size());
    if (hit) {
      std::size_t end = static_cast<std::size_t>(static_cast<const char*>(hit) - chunk.data());
      pending_.append(chunk, 0, end);
      line(pending_, true, now_ms);
      pending_.clear();
      start = end + 1;
    } else {
      start = chunk.size();
      pending_.append(chunk);
    }
  }
  // The complete lines within the chunk: in one go when they are plain.
  if (const void* last = ::memrchr(chunk.data() + start, '\n', chunk.size() - start)) {
    std::size_t end = static_cast<std::size_t>(static_cast<const char*>(last) - chunk.data()) + 1;
    std::string_view lines = chunk.substr(start, end - start);
    if (!block(lines, now_ms)) {
      while (!lines.empty()) {
        std::size_t nl = lines.find('\n');
        line(lines.substr(0, nl), true, now_ms);
        lines.remove_prefix(nl + 1);
      }
    }
    start = end;
  }
  pending_.append(chunk, start);
  if (pending_.size() > kMaxPending) write_long_line(now_ms);
  // Readers following the file see output within a tenth of a second.
  if (now_ms - flushed_ms_ >= 100) flush(now_ms);
}

// LINES ends with '\n'. Stamps them all at once when there is nothing to
// mask, nothing to repair and room under the cap: the common case, which
// must keep up with a task printing as fast as a pipe carries.
bool JobLog::block(std::string_view lines, std::int64_t now_ms) {
  if (truncated_ || echo_ || !at_line_start_) return false;
  if (!masker_.empty() && masker_.contains_secret(lines)) return false;
  if (!utf8_clean(lines)) return false;
  const std::string& ts = stamp(now_ms);
  std::size_t count = static_cast<std::size_t>(std::count(lines.begin(), lines.end(), '\n'));
  std::size_t size = lines.size() + count * (ts.size() + 1);
  if (job_bytes_ + size > cap_) return false;
  std::size_t at = buffer_.size();
  buffer_.resize(at + size);
  char* out = buffer_.data() + at;
  while (!lines.empty()) {
    std::size_t len = lines.find('\n') + 1;
    std::memcpy(out, ts.data(), ts.size());
    out[ts.size()] = ' ';
    out += ts.size() + 1;
    std::memcpy(out, lines.data(), len);
    out += len;
    lines.remove_prefix(len);
  }
  job_bytes_ += size;
  task_bytes_ += size;
  offset_ += size;
  if (buffer_.size() >= kFlushAt) flush(now_ms);
  return true;
}

void JobLog::write_long_line(std::int64_t now_ms) {
  // Write most of the long line now. Mask first, and keep back a tail that
  // may hold the start of a secret or of a UTF-8 sequence.
  std::string text = masker_.contains_secret(pending_) ? masker_.mask(pending_) : std::move(pending_);
  std::size_t keep = std::max<std::size_t>(masker_.max_length(), 4) - 1;
  std::size_t split = text.size() - keep;
  while (split > 0 && (static_cast<unsigned char>(text[split]) & 0xC0) == 0x80) --split;
  pending_.assign(text, split);
  text.resize(split);
  line(text, false, now_ms);
}

void JobLog::line(std::string_view text, bool complete, std::int64_t now_ms) {
  std::string masked;
  if (!masker_.empty() && masker_.contains_secret(text)) {
    masked = masker_.mask(text);
    text = masked;
  }
  auto clean = sanitize_utf8(text);
  emit(clean ? std::string_view(*clean) : text, complete, now_ms);
}

void JobLog::emit(std::string_view text, bool complete, std::int64_t now_ms) {
  if (truncated_ && !in_note_) return;
  const std::string& ts = stamp(now_ms);
  std::size_t size = (at_line_start_ ? ts.size() + 1 : 0) + text.size() + (complete ? 1 : 0);
  if (!in_note_ && job_bytes_ + size > cap_) {
    truncated_ = true;
    std::string msg = "[log truncated: this job's log reached its limit of " + std::to_string(cap_ >> 20) +
                      " MiB; the task keeps running]";
    std::size_t before = buffer_.size();
    if (!at_line_start_) buffer_ += '\n';
    buffer_ += ts + ' ' + msg + '\n';
    offset_ += buffer_.size() - before;
    if (echo_) *echo_ << (at_line_start_ ? "" : "\n") << ts.substr(11, 8) << ' ' << msg << '\n';
    task_bytes_ += buffer_.size() - before;
    at_line_start_ = true;
    flush(now_ms);
    return;
  }
  if (at_line_start_) {
    buffer_ += ts;
    buffer_ += ' ';
    if (echo_) *echo_ << std::string_view(ts).substr(11, 8) << ' ';
  }
  buffer_ += text;
  if (echo_) *echo_ << text;
  if (complete) {
    buffer_ += '\n';
    if (echo_) *echo_ << '\n';
  }
  at_line_start_ = complete;
  if (!in_note_) job_bytes_ += size;
  task_bytes_ += size;
  offset_ += size;
  if (buffer_.size() >= kFlushAt) flush(now_ms);
}

void JobLog::end_line(std::int64_t now_ms) {
  if (!pending_.empty()) {
    line(pending_, true, now_ms);
    pending_.clear();
  } else if (!at_line_start_) {
    emit("", true, now_ms);
  }
}

void JobLog::note(std::string_view text, std::int64_t now_ms) {
  end_line(now_ms);
  // The runner's own lines stay readable past the cap, and do not count.
  in_note_ = true;
  line(text, true, now_ms);
  in_note_ = false;
  if (echo_) echo_->flush();
}

void JobLog::close_task(std::int64_t now_ms) {
  if (now_ms < 0) now_ms = stamp_ms_;
  end_line(now_ms);
  flush(now_ms);
}

void JobLog::flush(std::int64_t now_ms) {
  flushed_ms_ = now_ms;
  std::string_view data = buffer_;
  while (!data.empty() && fd_ >= 0 && !error_) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = std::string("cannot write the log: ") + std::strerror(errno);
      break;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  buffer_.clear();
  if (echo_) echo_->flush();
}

}  // namespace cwf::executor
