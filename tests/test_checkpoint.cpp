// Tests for host/checkpoint and host/checkpoint_codec: the round trip of format 02 (data
// identity, divergence factor, log rows), the earlier format 01 still read (its log rows from
// log.csv), and that a hand-edited checkpoint (CRC recomputed, so only the checks can catch it)
// is refused with its field named for every value a flag could not have given: the cases a tester
// found (save_every=0, batch=-1, batch=0, iters=-1, ema=5, adjoint_k=-3, decay_every=-1,
// beta_min=nan, iteration=-5) and more; an empty array (once a memcpy from a null pointer);
// the size checked before the payload is read.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "host/checkpoint.h"
#include "host/checkpoint_codec.h"
#include "host/crc32.h"
#include "host/errors.h"
#include "host/io.h"
#include "host/trainer.h"

using namespace df;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  std::string dir = "/tmp/df_test_ckpt2_" + std::to_string(::getpid());
  RunConfig cfg;
  RunState st;
  Fixture() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    cfg.data = "moons";
    cfg.shape = NetShape{2, 4, 1};
    cfg.grid.N = 4;
    cfg.iters = 10;
    cfg.diverge = 50;
    st = new_run_state(cfg, DataSource(cfg.data));
    st.iteration = 2;
    st.log_rows = "1,2.5,0.1,0.1,0.01,0.01,4,0.001\n2,2.4,0.1,0.1,0.01,0.01,4,0.002\n";
  }
  ~Fixture() { fs::remove_all(dir); }
  std::string bytes() const { return encode_checkpoint(cfg, st); }
};

// Recomputes the payload size and CRC after an edit, as a deliberate hand-edit would.
std::string reseal(std::string b) {
  const std::uint64_t size = b.size() - kCheckpointHeader;
  const std::uint32_t crc = crc32(b.data() + kCheckpointHeader, std::size_t(size));
  std::memcpy(&b[8], &size, 8);
  std::memcpy(&b[16], &crc, 4);
  return b;
}

// The header line "key=..." set to "key=value" (or removed when value is null).
std::string edit(std::string b, const std::string& key, const char* value) {
  if (b.compare(kCheckpointHeader, key.size() + 1, key + "=") == 0) {  // the first line
    const std::size_t end = b.find('\n', kCheckpointHeader);
    REQUIRE(value != nullptr);
    b.replace(kCheckpointHeader, end - kCheckpointHeader, key + "=" + value);
    return reseal(b);
  }
  const std::size_t at = b.find("\n" + key + "=");
  REQUIRE(at != std::string::npos);
  const std::size_t end = b.find('\n', at + 1);
  b.replace(at, end - at, value ? "\n" + key + "=" + value : std::string());
  return reseal(b);
}

std::string decode_error(const std::string& bytes) {
  RunConfig c;
  RunState s;
  try {
    decode_checkpoint("x/checkpoint.bin", bytes, c, s);
  } catch (const InputError& e) {
    const std::string msg = e.what();
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.find("checkpoint 'x/checkpoint.bin'") == 0);
    return msg;
  }
  FAIL("the checkpoint was accepted");
  return "";
}

}  // namespace

TEST_CASE("checkpoint format 02 round trip: identity, divergence factor, log rows", "[checkpoint]") {
  Fixture f;
  f.cfg.data = "/data/x.csv";
  f.cfg.data_size = 1234;
  f.cfg.data_sha256 = std::string(64, 'a');
  save_checkpoint(f.dir, f.cfg, f.st);
  RunConfig c;
  RunState s;
  load_checkpoint(f.dir, c, s);
  CHECK(c.data == "/data/x.csv");
  CHECK(c.data_size == 1234);
  CHECK(c.data_sha256 == f.cfg.data_sha256);
  CHECK(c.diverge == 50);
  CHECK(s.iteration == 2);
  CHECK(s.log_rows == f.st.log_rows);
  CHECK(s.f.p == f.st.f.p);
  CHECK(s.s.v == f.st.s.v);
  CHECK(read_file(checkpoint_path(f.dir)).compare(0, 8, "DFCKPT02") == 0);
}

TEST_CASE("a hand-edited field out of its flag's range is refused, naming it", "[checkpoint]") {
  Fixture f;
  const std::string good = f.bytes();
  const std::pair<const char*, const char*> cases[][1] = {
      {{"save_every", "0"}}, {{"batch", "-1"}},     {{"batch", "0"}},         {{"iters", "-1"}},
      {{"ema", "5"}},        {{"ema", "1"}},        {{"adjoint_k", "-3"}},    {{"decay_every", "-1"}},
      {{"beta_min", "nan"}}, {{"W", "0"}},          {{"W", "5000"}},          {{"L", "65"}},
      {{"d", "0"}},          {{"N", "0"}},          {{"lr_f", "0"}},          {{"lr_s", "11"}},
      {{"clip", "-1"}},      {{"decay_rate", "0"}}, {{"p", "0"}},             {{"t_end", "inf"}},
      {{"diverge", "-1"}},   {{"batch", "1.5"}},    {{"ddpm_t_min", "1"}},    {{"batch", "99999999999999999999"}}};
  for (const auto& c : cases) {
    INFO(c[0].first << "=" << c[0].second);
    CHECK_THAT(decode_error(edit(good, c[0].first, c[0].second)), Contains(c[0].first));
  }
  CHECK_THAT(decode_error(edit(good, "iteration", "-5")), Contains("iteration = -5 is outside [0, iters = 10]"));
  CHECK_THAT(decode_error(edit(good, "iteration", "11")), Contains("iteration = 11"));
  CHECK_THAT(decode_error(edit(good, "lr_f", "0x1p-7")), Contains("lr_f = '0x1p-7' is not a decimal number"));
  CHECK_THAT(decode_error(edit(good, "t_end", "0.0001")), Contains("t_end must be greater than t_start"));
  CHECK_THAT(decode_error(edit(good, "beta_max", "0.01")), Contains("beta_max must exceed beta_min"));
  CHECK_THAT(decode_error(edit(good, "randomize", "2")), Contains("randomize must be 0 or 1"));
  CHECK_THAT(decode_error(edit(good, "g_g", "0")), Contains("g must be in"));
  CHECK_THAT(decode_error(edit(good, "g_g", "0.2,0.3")), Contains("one time per value"));
  CHECK_THAT(decode_error(edit(good, "std_a", "-1,1")), Contains("standardization of dimension 1"));
  CHECK_THAT(decode_error(edit(good, "std_a", "1")), Contains("standardization does not match d = 2"));
  CHECK_THAT(decode_error(edit(good, "model", "gan")), Contains("unknown model 'gan'"));
  CHECK_THAT(decode_error(edit(good, "grid", "log")), Contains("expected exponent or linear"));
  CHECK_THAT(decode_error(edit(good, "progressive", "2:0,3:5")), Contains("the progressive schedule ends at N = 3"));
  CHECK_THAT(decode_error(edit(good, "seed", "-1")), Contains("seed is not a whole number"));
  CHECK_THAT(decode_error(edit(good, "seed", "9223372036854775808")), Contains("seed must be in"));
  CHECK_THAT(decode_error(edit(good, "data_sha256", "xyz")), Contains("data_sha256"));
  CHECK_THAT(decode_error(edit(good, "data", "")), Contains("the data are not named"));
  // a set has no size or hash; a hash and a size go together, with a file's absolute path (a file
  // without them is one of format 01's, checked and recorded on its next --resume)
  CHECK_THAT(decode_error(edit(good, "data_size", "7")), Contains("do not belong to data = 'moons'"));
  CHECK_THAT(decode_error(edit(good, "data_sha256", std::string(64, 'b').c_str())), Contains("do not belong to data"));
  CHECK_THAT(decode_error(edit(good, "clip", nullptr)), Contains("missing key 'clip'"));
  std::string dup = good;
  dup.insert(dup.find("\nclip="), "\nclip=1");
  CHECK_THAT(decode_error(reseal(dup)), Contains("key 'clip' appears twice"));
  std::string unknown = good;
  unknown.insert(unknown.find("\nclip="), "\ncolour=red");
  CHECK_THAT(decode_error(reseal(unknown)), Contains("unknown key 'colour'"));
  RunConfig c;
  RunState s;
  CHECK(decode_checkpoint("x/checkpoint.bin", good, c, s) == 2);  // the unedited bytes load
}

TEST_CASE("the entries are checked before they are copied: empty, short, unknown, non-finite", "[checkpoint]") {
  Fixture f;
  const std::string good = f.bytes();
  // an empty f.m (count 0): refused by its size, no copy from the (null) data of an empty array
  std::string b = good;
  const std::size_t at = b.find(std::string("f.m\0f", 5));
  REQUIRE(at != std::string::npos);
  const std::uint64_t n = f.cfg.shape.n_params(), zero = 0;
  b.erase(at + 5 + 8, n * sizeof(float));
  std::memcpy(&b[at + 5], &zero, 8);
  CHECK_THAT(decode_error(reseal(b)), Contains("array 'f.m' has 0 values"));
  // a count beyond the file
  b = good;
  const std::uint64_t huge = std::uint64_t(1) << 60;
  std::memcpy(&b[at + 5], &huge, 8);
  CHECK_THAT(decode_error(reseal(b)), Contains("overruns the file"));
  // NaN in the parameters, a negative second moment
  RunState bad = f.st;
  bad.f.p[1] = std::nanf("");
  CHECK_THAT(decode_error(encode_checkpoint(f.cfg, bad)), Contains("array 'f.p' holds a non-finite value"));
  bad = f.st;
  bad.s.v[0] = -1;
  CHECK_THAT(decode_error(encode_checkpoint(f.cfg, bad)), Contains("array 's.v' holds a negative"));
  // log rows out of order, beyond the iteration, incomplete
  bad = f.st;
  bad.log_rows = "2,1,1,1,1,1,4,0\n1,1,1,1,1,1,4,0\n";
  CHECK_THAT(decode_error(encode_checkpoint(f.cfg, bad)), Contains("out of order"));
  bad.log_rows = "1,1,1,1,1,1,4,0\n3,1,1,1,1,1,4,0\n";
  CHECK_THAT(decode_error(encode_checkpoint(f.cfg, bad)), Contains("beyond iteration 2"));
  bad.log_rows = "1,1,1,1,1,1,4,0";
  CHECK_THAT(decode_error(encode_checkpoint(f.cfg, bad)), Contains("not complete"));
  // damaged or cut
  CHECK_THAT(decode_error(good.substr(0, 12)), Contains("not a diffflow checkpoint"));
  CHECK_THAT(decode_error(good.substr(0, good.size() - 3)), Contains("truncated or padded"));
  b = good;
  b[b.size() / 2] ^= 0x10;
  CHECK_THAT(decode_error(b), Contains("checksum mismatch"));
}

TEST_CASE("load_checkpoint checks the size before reading, and refuses what is not a file", "[checkpoint]") {
  Fixture f;
  save_checkpoint(f.dir, f.cfg, f.st);
  const std::string path = checkpoint_path(f.dir);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) + (std::uint64_t(1) << 30));  // sparse tail
  RunConfig c;
  RunState s;
  try {
    load_checkpoint(f.dir, c, s);
    FAIL("a padded checkpoint was accepted");
  } catch (const InputError& e) {
    CHECK_THAT(std::string(e.what()), Contains("truncated or padded"));
  }
  std::filesystem::remove(path);
  std::filesystem::create_directory(path);
  CHECK_THROWS_AS(load_checkpoint(f.dir, c, s), InputError);
}

TEST_CASE("a checkpoint of the earlier format 01 still loads, its log rows from log.csv", "[checkpoint]") {
  Fixture f;
  // format 01: magic 01, no data_size/data_sha256/diverge keys, no type byte, no log entry
  std::string b = f.bytes();
  b[7] = '1';
  for (const char* key : {"data_size", "data_sha256", "diverge"}) b = edit(b, key, nullptr);
  const std::size_t log_at = b.find(std::string("log\0t", 5));
  REQUIRE(log_at != std::string::npos);
  b.erase(log_at);
  for (const char* name : {"f.p", "f.m", "f.v", "f.ema", "s.p", "s.m", "s.v", "s.ema"}) {
    const std::size_t at = b.find(std::string(name) + std::string("\0f", 2));
    REQUIRE(at != std::string::npos);
    b.erase(at + std::strlen(name) + 1, 1);  // the type byte
  }
  atomic_write_file(checkpoint_path(f.dir), reseal(b));
  atomic_write_file(f.dir + "/log.csv", "iter,loss\n1,2.5,x\n2,2.4,y\n3,2.3,z\n");
  RunConfig c;
  RunState s;
  load_checkpoint(f.dir, c, s);
  CHECK(s.iteration == 2);
  CHECK(s.f.ema == f.st.f.ema);
  CHECK(c.data_sha256.empty());
  CHECK(c.diverge == RunConfig().diverge);
  CHECK(s.log_rows == "1,2.5,x\n2,2.4,y\n");  // the rows up to its iteration
}
