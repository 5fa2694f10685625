// The run directory: create, lock, clean, and remove again on an early failure; see
// host/run_dir.h.
#include "host/run_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "host/errors.h"
#include "host/io.h"

namespace df {

const std::vector<std::string>& run_file_names() {
  static const std::vector<std::string> names{"checkpoint.bin", "log.csv",   "samples.png", "loss.png",
                                              "summary.json",   "valid.csv", "best"};
  return names;
}

namespace {
bool exists(const std::string& path) {
  struct stat sb;
  return ::lstat(path.c_str(), &sb) == 0;
}
}  // namespace

RunDir::RunDir(const std::string& dir, Mode mode) : dir_(dir) {
  if (dir_.empty()) throw InputError("train: the run directory is empty");
  try {
    if (mode == Mode::Fresh) create();
    else if (!exists(dir_)) throw InputError("train: the run directory '" + dir_ + "' does not exist");
    lock();
    if (mode == Mode::Fresh) {
      if (exists(dir_ + "/checkpoint.bin"))
        throw InputError("train: " + dir_ + " already holds a run (use --resume " + dir_ + " --iters K, or another --out)");
      for (const std::string& f : run_file_names())
        if (exists(dir_ + "/" + f))
          throw InputError("train: " + dir_ + " already holds " + f + " but no checkpoint; move it away or use another --out");
    }
    clean();
  } catch (...) {
    release();
    throw;
  }
}

void RunDir::create() {
  struct stat sb;
  if (::stat(dir_.c_str(), &sb) == 0) {
    if (!S_ISDIR(sb.st_mode)) throw InputError("train: '" + dir_ + "' exists and is not a directory");
    return;
  }
  std::string partial = dir_[0] == '/' ? "/" : "";
  for (std::size_t pos = 0; pos <= dir_.size();) {
    std::size_t end = dir_.find('/', pos);
    if (end == std::string::npos) end = dir_.size();
    const std::string part = dir_.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    partial += part;
    if (::mkdir(partial.c_str(), 0755) == 0) created_.push_back(partial);
    else if (errno != EEXIST) throw_file_error("cannot create", partial, errno);
    partial += "/";
  }
  if (::stat(dir_.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode))
    throw InputError("train: '" + dir_ + "' exists and is not a directory");
}

void RunDir::lock() {
  const std::string path = dir_ + "/.lock";
  created_lock_ = !exists(path);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) throw_file_error("cannot lock", path, errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
    ::close(fd_);
    fd_ = -1;
    created_lock_ = false;
    if (err != EWOULDBLOCK) throw_file_error("cannot lock", path, err);
    std::string holder = n > 0 ? std::string(pid, std::size_t(n)) : "unknown";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    throw EnvironmentError("run directory '" + dir_ + "' is in use by another diffflow process (pid " + holder +
                           " holds " + path + "); wait for it to end, or use another directory");
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) != ssize_t(me.size()))
    throw_file_error("cannot lock", path, errno);
}

void RunDir::clean() {
  // the run's files, and the checkpoint of the best validation in best/ (host/validation.h)
  for (const std::string& where : {dir_, dir_ + "/best"}) {
    DIR* d = ::opendir(where.c_str());
    if (d == nullptr) {
      if (where == dir_) throw_file_error("cannot read", dir_, errno);
      continue;  // no best/
    }
    std::vector<std::string> stale;
    while (const dirent* e = ::readdir(d))
      for (const std::string& f : run_file_names())
        if (is_temporary_of(e->d_name, f)) stale.push_back(e->d_name);
    ::closedir(d);
    for (const std::string& name : stale)
      if (::unlink((where + "/" + name).c_str()) == 0) ++removed_;
  }
}

RunDir::~RunDir() { release(); }

void RunDir::release() noexcept {
  if (fd_ < 0 && created_.empty()) return;
  const bool keep = exists(dir_ + "/checkpoint.bin");
  if (!keep && (created_lock_ || !created_.empty())) ::unlink((dir_ + "/.lock").c_str());
  if (fd_ >= 0) ::close(fd_);  // releases the lock
  fd_ = -1;
  if (!keep)
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) ::rmdir(it->c_str());  // only if empty
  created_.clear();
}

}  // namespace df
