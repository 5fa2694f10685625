// Bounded, typed reads of the files a user names (data, checkpoints, logs). Only regular files
// are read: a FIFO, a device (/dev/zero, a symlink to one), a socket or a directory is refused
// before a byte is read, and a FIFO is opened without blocking, so a missing writer cannot hang
// the command. A file larger than its limit is refused from its size alone; a reader checks a
// file's header (its magic string, its declared sizes) from read_prefix() before it reads the
// payload, so memory stays bounded by what the file really holds.
// Errors are one line naming the file: InputError for the user's files ("cannot read 'p': not a
// regular file (a FIFO)", "... is 2147483648 bytes, above the limit of ..."), EnvironmentError
// when the system refuses (permission, I/O error).
#pragma once
#include <cstdint>
#include <string>

namespace df {

// The limit on a data or log file: $DF_MAX_INPUT_MB mebibytes (default 1024).
std::uint64_t input_limit_bytes();

// Throws the error for a failed system call on `path`: EnvironmentError for permission, I/O,
// disk full, quota, read-only file system, out of memory or descriptors; InputError otherwise
// (no such file, not a directory, ...). The message is "<action> 'path': <strerror>".
[[noreturn]] void throw_file_error(const std::string& action, const std::string& path, int err);

class InputFile {
 public:
  // Opens `path` for reading. The size limit names the knob in its message (`limit_what`).
  InputFile(const std::string& path, std::uint64_t limit, const std::string& limit_what = "DF_MAX_INPUT_MB");
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }  // the size when opened
  // The first min(n, size) bytes (rereadable: every call starts at the beginning).
  std::string read_prefix(std::size_t n);
  // The whole file. InputError when it no longer has the size it had when opened.
  std::string read_all();

 private:
  std::string read_at(std::uint64_t offset, std::uint64_t n);
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// The whole content of a regular file of at most `limit` bytes.
std::string read_file(const std::string& path, std::uint64_t limit = input_limit_bytes());

}  // namespace df
