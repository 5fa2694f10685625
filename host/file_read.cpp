// Bounded reads of regular files; see host/file_read.h.
#include "host/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "host/errors.h"
#include "host/number_parse.h"

namespace df {

std::uint64_t input_limit_bytes() {
  const char* env = std::getenv("DF_MAX_INPUT_MB");
  std::uint64_t mb = 1024;
  if (env != nullptr && *env != '\0' && (!parse_uint(env, mb) || mb == 0 || mb > (std::uint64_t(1) << 30)))
    throw InputError(std::string("DF_MAX_INPUT_MB: '") + env + "' is not a number of mebibytes in [1, 2^30]");
  return mb << 20;
}

void throw_file_error(const std::string& action, const std::string& path, int err) {
  const std::string msg = action + " '" + path + "': " + std::strerror(err);
  switch (err) {
    case EACCES: case EPERM: case EIO: case ENOSPC: case EDQUOT: case EFBIG: case EROFS:
    case ENOMEM: case EMFILE: case ENFILE: case ETXTBSY: case EAGAIN:
      throw EnvironmentError(msg);
    default:
      throw InputError(msg);
  }
}

namespace {

const char* kind_of(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a plain file";
}

}  // namespace

InputFile::InputFile(const std::string& path, std::uint64_t limit, const std::string& limit_what) : path_(path) {
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd_ < 0) throw_file_error("cannot read", path, errno);
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    throw_file_error("cannot read", path, err);
  }
  std::string problem;
  if (S_ISDIR(st.st_mode)) problem = std::strerror(EISDIR);
  else if (!S_ISREG(st.st_mode)) problem = std::string("not a regular file (") + kind_of(st.st_mode) + ")";
  else if (std::uint64_t(st.st_size) > limit)
    problem = "the file is " + std::to_string(st.st_size) + " bytes, above the limit of " + std::to_string(limit) +
              " bytes (" + limit_what + ")";
  if (!problem.empty()) {
    ::close(fd_);
    throw InputError("cannot read '" + path + "': " + problem);
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  size_ = std::uint64_t(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string InputFile::read_at(std::uint64_t offset, std::uint64_t n) {
  std::string out(std::size_t(n), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t r = ::pread(fd_, &out[got], out.size() - got, off_t(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_file_error("cannot read", path_, errno);
    if (r == 0) break;
    got += std::size_t(r);
  }
  out.resize(got);
  return out;
}

std::string InputFile::read_prefix(std::size_t n) { return read_at(0, n < size_ ? n : size_); }

std::string InputFile::read_all() {
  std::string out = read_at(0, size_);
  if (out.size() != size_ || !read_at(size_, 1).empty())
    throw InputError("cannot read '" + path_ + "': the file changed while it was read (" + std::to_string(size_) +
                     " bytes when opened)");
  return out;
}

std::string read_file(const std::string& path, std::uint64_t limit) { return InputFile(path, limit).read_all(); }

}  // namespace df
