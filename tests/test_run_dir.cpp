// Tests for host/run_dir: the directory is created and removed again when no checkpoint came
// of it; the lock refuses a second holder (in this process and from another) and is released
// when its holder is killed; stale temporaries of the run's files are removed and nothing else;
// a new run refuses a directory holding a checkpoint or another run's log.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "host/errors.h"
#include "host/run_dir.h"

using namespace df;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {
struct Tmp {
  fs::path root = fs::temp_directory_path() / ("df_test_rundir_" + std::to_string(::getpid()));
  Tmp() { fs::remove_all(root); fs::create_directories(root); }
  ~Tmp() { fs::remove_all(root); }
  std::string operator/(const std::string& s) const { return (root / s).string(); }
};
void touch(const std::string& path) { std::ofstream(path) << "x"; }
}  // namespace

TEST_CASE("a run directory is created, and removed again when no checkpoint came of it", "[rundir]") {
  Tmp t;
  const std::string dir = t / "a/b/run";
  {
    RunDir run(dir, RunDir::Mode::Fresh);
    CHECK(fs::is_directory(dir));
    CHECK(fs::exists(dir + "/.lock"));
  }
  CHECK(!fs::exists(t / "a"));  // every directory it made, and its lock file, are gone
  {
    RunDir run(dir, RunDir::Mode::Fresh);
    touch(dir + "/checkpoint.bin");
  }
  CHECK(fs::exists(dir + "/checkpoint.bin"));  // a run exists: everything stays
  CHECK(fs::exists(dir + "/.lock"));
  // an existing directory is never removed, and a failing fresh run leaves no lock file in it
  fs::create_directories(t / "mine");
  { RunDir run(t / "mine", RunDir::Mode::Fresh); }
  CHECK(fs::is_directory(t / "mine"));
  CHECK(fs::is_empty(t / "mine"));
}

TEST_CASE("the lock refuses a second holder and is released when its holder dies", "[rundir]") {
  Tmp t;
  const std::string dir = t / "run";
  {
    RunDir first(dir, RunDir::Mode::Fresh);
    touch(dir + "/checkpoint.bin");
    try {
      RunDir second(dir, RunDir::Mode::Resume);
      FAIL("a locked directory was taken twice");
    } catch (const EnvironmentError& e) {
      CHECK_THAT(std::string(e.what()), Contains("is in use by another diffflow process (pid " +
                                                 std::to_string(::getpid())));
    }
  }
  { RunDir again(dir, RunDir::Mode::Resume); }  // released with its holder
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // takes the lock and is killed holding it
    RunDir held(dir, RunDir::Mode::Resume);
    std::raise(SIGKILL);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  RunDir after(dir, RunDir::Mode::Resume);  // the kernel released it
  CHECK(after.path() == dir);
}

TEST_CASE("stale temporaries of the run's files are removed, nothing else", "[rundir]") {
  Tmp t;
  const std::string dir = t / "run";
  fs::create_directories(dir);
  touch(dir + "/checkpoint.bin");
  for (const char* f : {"checkpoint.bin.tmp.123", "log.csv.tmp.9", "summary.json.tmp.77", "notes.txt.tmp.5",
                        "log.csv.tmp.x1", "data.csv"})
    touch(dir + "/" + f);
  RunDir run(dir, RunDir::Mode::Resume);
  CHECK(run.removed_temporaries() == 3);
  CHECK(!fs::exists(dir + "/checkpoint.bin.tmp.123"));
  CHECK(!fs::exists(dir + "/log.csv.tmp.9"));
  CHECK(!fs::exists(dir + "/summary.json.tmp.77"));
  CHECK(fs::exists(dir + "/notes.txt.tmp.5"));
  CHECK(fs::exists(dir + "/log.csv.tmp.x1"));
  CHECK(fs::exists(dir + "/data.csv"));
}

TEST_CASE("a new run refuses a directory that holds a run's files", "[rundir]") {
  Tmp t;
  fs::create_directories(t / "old");
  touch(t / "old/checkpoint.bin");
  CHECK_THROWS_WITH(RunDir(t / "old", RunDir::Mode::Fresh), Contains("already holds a run (use --resume"));
  fs::create_directories(t / "foreign");
  touch(t / "foreign/log.csv");
  CHECK_THROWS_WITH(RunDir(t / "foreign", RunDir::Mode::Fresh), Contains("already holds log.csv but no checkpoint"));
  CHECK(fs::exists(t / "foreign/log.csv"));
  CHECK(!fs::exists(t / "foreign/.lock"));
  touch(t / "file");
  CHECK_THROWS_WITH(RunDir(t / "file", RunDir::Mode::Fresh), Contains("exists and is not a directory"));
  CHECK_THROWS_WITH(RunDir(t / "none", RunDir::Mode::Resume), Contains("does not exist"));
}
