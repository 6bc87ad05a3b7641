#pragma once

// A job's log: each task's output split into lines, each line stamped with
// the time it arrived, secrets masked, made valid UTF-8, and appended to
// <data>/logs/<job>.log (optionally echoed to a terminal); each task's part
// is a byte range the store indexes. One file per job, because creating a
// file costs a hundred times an append. A per-job cap stops the writing,
// with a note, while the task keeps running.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "util/masker.hh"

namespace cwf::executor {

class JobLog {
 public:
  static constexpr std::uint64_t kDefaultCap = 64u << 20;

  JobLog(std::filesystem::path data_dir, std::int64_t job_id, Masker masker, std::uint64_t cap, std::ostream* echo);
  ~JobLog();

  // The log file, relative to the data dir.
  const std::string& path() const { return rel_path_; }
  // Starts the next task's part; returns its offset in the file.
  std::uint64_t open_task();
  // Raw bytes from the task, in any chunking.
  void output(std::string_view chunk, std::int64_t now_ms);
  // A line of the runner's own (headers, results), masked like the rest.
  void note(std::string_view line, std::int64_t now_ms);
  // Ends the task's part: its last partial line is written.
  void close_task(std::int64_t now_ms);

  std::uint64_t task_bytes() const { return task_bytes_; }
  // Why writing failed (a full disk), once it did.
  const std::optional<std::string>& error() const { return error_; }

 private:
  void line(std::string_view text, bool complete, std::int64_t now_ms);
  bool block(std::string_view lines, std::int64_t now_ms);
  void emit(std::string_view text, bool complete, std::int64_t now_ms);
  void write_long_line(std::int64_t now_ms);
  void end_line(std::int64_t now_ms);  // writes the open line, if any, with its '\n'
  void flush(std::int64_t now_ms);
  const std::string& stamp(std::int64_t now_ms);

  std::string rel_path_;
  Masker masker_;
  std::uint64_t cap_;
  std::ostream* echo_;
  int fd_ = -1;
  std::string pending_;  // a line not yet ended by '\n'
  std::string buffer_;   // formatted, not yet written
  bool at_line_start_ = true;
  bool truncated_ = false;
  bool in_note_ = false;
  std::int64_t flushed_ms_ = 0;
  std::uint64_t job_bytes_ = 0, task_bytes_ = 0;
  std::uint64_t offset_ = 0;  // bytes in the file, including buffer_
  std::int64_t stamp_ms_ = -1;
  std::string stamp_;
  std::optional<std::string> error_;
};

// Replaces NUL bytes and invalid UTF-8 with U+FFFD; nullopt when TEXT is fine.
std::optional<std::string> sanitize_utf8(std::string_view text);
// "2026-11-28T12:00:00.123Z"
std::string format_time(std::int64_t ms);

}  // namespace cwf::executor
