// The run directory of `diffflow train`, held for the life of the command:
//   - created when missing (mkdir -p), and removed again, with everything this command put in
//     it, when the command ends before the run's first checkpoint exists (an error leaves no
//     empty directory behind);
//   - locked: flock(LOCK_EX) on DIR/.lock, so a second `train` or `train --resume` on the same
//     directory is refused at once (EnvironmentError naming the holder's pid) while the first
//     runs; the kernel releases the lock when the process ends, kill -9 included, so a stale
//     lock never blocks a resume;
//   - cleaned: temporary files left by a killed writer of the run's files (checkpoint.bin.tmp.<pid>
//     and the like, host/io.h, in DIR and in DIR/best) are removed once the lock is held, when no
//     writer can be alive.
// A new run refuses a directory that already holds any file a run writes (a checkpoint: use
// --resume; a log.csv or a figure of something else: never overwritten).
#pragma once
#include <string>
#include <vector>

namespace df {

// The files a run writes in its directory (best/: a directory, validation's best checkpoint).
const std::vector<std::string>& run_file_names();

class RunDir {
 public:
  enum class Mode { Fresh, Resume };
  // Fresh: creates the directory if needed; Resume: the directory must exist.
  RunDir(const std::string& dir, Mode mode);
  ~RunDir();
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;

  const std::string& path() const { return dir_; }
  int removed_temporaries() const { return removed_; }

 private:
  void create();
  void lock();
  void clean();
  void release() noexcept;  // unlock; undo what this command created when no checkpoint exists
  std::string dir_;
  std::vector<std::string> created_;  // directories this command made, outermost first
  bool created_lock_ = false;
  int fd_ = -1, removed_ = 0;
};

}  // namespace df
