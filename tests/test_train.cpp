// Host layer: checkpoints (round trip, checksum, atomic replacement), resume equals an
// uninterrupted run (also after a crash between the checkpoint and log.csv), the data's identity
// and the outlier warning, log.csv restored from the checkpoint, determinism, standardization,
// grids, the chunked CPU backend against the single-pass reference.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/backend.h"
#include "engine/diffflow.h"
#include "host/checkpoint.h"
#include "host/errors.h"
#include "host/io.h"
#include "host/train_log.h"
#include "host/trainer.h"

using namespace df;

namespace {
std::string temp_dir(const std::string& tag) {
  std::string d = "/tmp/df_test_" + tag + "_" + std::to_string(getpid());
  std::string cmd = "rm -rf '" + d + "' && mkdir -p '" + d + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return d;
}

RunConfig small_config() {
  RunConfig c;
  c.data = "8gaussians";
  c.shape = NetShape{2, 16, 1};
  c.grid.N = 6;
  c.batch = 300;  // two chunks of the CPU backend
  c.iters = 12;
  c.save_every = 5;
  c.seed = 3;
  return c;
}

std::vector<std::string> logged_losses(const std::string& dir) {
  std::ifstream in(dir + "/log.csv");
  std::string line;
  std::vector<std::string> out;
  std::getline(in, line);
  REQUIRE(line.rfind("iter,loss", 0) == 0);
  while (std::getline(in, line)) out.push_back(line.substr(0, line.find(',', line.find(',') + 1)));
  return out;
}
}  // namespace

TEST_CASE("checkpoint round trip and corruption", "[checkpoint]") {
  std::string dir = temp_dir("ckpt");
  RunConfig c = small_config();
  c.g = GSchedule{{0.001, 0.05}, {0.2, 0.3}};
  c.grid.progressive = {{0, 3}, {5, 6}};
  DataSource data(c.data);
  RunState st = new_run_state(c, data);
  st.iteration = 7;
  st.f.m[3] = 0.25f;
  save_checkpoint(dir, c, st);
  RunConfig c2;
  RunState s2;
  load_checkpoint(dir, c2, s2);
  CHECK(c2.shape == c.shape);
  CHECK(c2.g.g == c.g.g);
  CHECK(c2.grid.progressive == c.grid.progressive);
  CHECK(c2.seed == c.seed);
  CHECK(s2.iteration == 7);
  CHECK(s2.f.p == st.f.p);
  CHECK(s2.f.m == st.f.m);
  CHECK(s2.s.ema == st.s.ema);
  CHECK(s2.stdz.a == st.stdz.a);

  // flip one byte in the payload: refused with a checksum error naming the file
  std::string bytes = read_file(checkpoint_path(dir));
  bytes[bytes.size() / 2] ^= 0x5a;
  atomic_write_file(checkpoint_path(dir), bytes);
  try {
    load_checkpoint(dir, c2, s2);
    FAIL("a corrupted checkpoint was accepted");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("checksum") != std::string::npos);
    CHECK(std::string(e.what()).find("checkpoint.bin") != std::string::npos);
  }
  // truncated
  atomic_write_file(checkpoint_path(dir), bytes.substr(0, bytes.size() - 10));
  CHECK_THROWS_AS(load_checkpoint(dir, c2, s2), InputError);
  // missing
  CHECK_THROWS_AS(load_checkpoint(dir + "/nope", c2, s2), InputError);
}

TEST_CASE("a resumed run gives the same losses as an uninterrupted one", "[resume]") {
  auto be = make_cpu_backend();
  RunConfig c = small_config();
  DataSource data(c.data);
  std::string a = temp_dir("full"), b = temp_dir("split");
  TrainOptions oa{a, true}, ob{b, true};
  RunState sa = new_run_state(c, data);
  REQUIRE(train(*be, c, sa, data, oa) == 0);

  RunConfig c1 = c;
  c1.iters = 5;
  RunState sb = new_run_state(c1, data);
  REQUIRE(train(*be, c1, sb, data, ob) == 0);
  RunConfig c2;
  RunState s2;
  load_checkpoint(b, c2, s2);
  REQUIRE(s2.iteration == 5);
  c2.iters = 12;
  REQUIRE(train(*be, c2, s2, data, ob) == 0);

  auto la = logged_losses(a), lb = logged_losses(b);
  REQUIRE(la.size() == 12);
  CHECK(la == lb);           // same iterations, bit-identical losses as printed
  CHECK(sa.f.p == s2.f.p);   // and identical parameters
  CHECK(sa.s.ema == s2.s.ema);
}

TEST_CASE("the CPU backend's chunked sweeps equal the single-pass reference", "[backend]") {
  auto be = make_cpu_backend();
  NetShape s{2, 12, 2};
  const int B = 700, N = 5;  // 3 chunks, the last one partial
  std::vector<float> pf(s.n_params()), ps(s.n_params());
  init_params(s, pf.data(), 1, 0, 1.0);
  init_params(s, ps.data(), 1, 1, 1.0);
  std::vector<float> x(std::size_t(2 * B));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(0.37 * double(i)));
  GridSpec spec;
  spec.N = N;
  TimeGrid grid = make_grid(spec, GSchedule::constant(0.2), N);
  NoiseKey key{9, 2};
  Buf bf = be->alloc(pf.size()), bs = be->alloc(ps.size()), gf = be->alloc(pf.size()), gs = be->alloc(ps.size()),
      bx = be->alloc(x.size());
  be->upload(bf, pf.data(), pf.size());
  be->upload(bs, ps.data(), ps.size());
  be->upload(bx, x.data(), x.size());
  double L = be->diffflow_loss_grad(gf, gs, bf, bs, s, bx, B, grid, key, 2);
  // reference: one pass in double over the whole batch with the same noise
  std::vector<double> df_(pf.begin(), pf.end()), ds_(ps.begin(), ps.end()), rf(pf.size(), 0.0), rs(ps.size(), 0.0);
  MatX<double> xd = Eigen::Map<MatX<float>>(x.data(), 2, B).cast<double>();
  PhiloxNoise noise(key, kStreamDiffuse);
  double Lref = diffflow_loss_grad<double>(rf.data(), rs.data(), nullptr, nullptr, NetPair<double>{s, df_.data(), ds_.data()},
                                           xd, grid, noise, 2);
  CHECK(L == Approx(Lref).epsilon(1e-5));
  std::vector<float> hgf(pf.size());
  be->download(hgf.data(), gf, hgf.size());
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < rf.size(); ++i) {
    worst = std::max(worst, std::fabs(hgf[i] - rf[i]));
    scale = std::max(scale, std::fabs(rf[i]));
  }
  INFO("worst abs error " << worst << " of max " << scale);
  CHECK(worst / scale < 1e-4);
  for (Buf* b : {&bf, &bs, &gf, &gs, &bx}) be->release(*b);
}

TEST_CASE("standardization: rescale to 0.85 then zero mean, unit variance", "[data]") {
  Matrix m(4, 2);
  double v[] = {0, 10, 2, 12, 4, 14, 6, 20};
  std::copy(v, v + 8, m.data.begin());
  Standardizer s = Standardizer::fit(m);
  Matrix y = s.forward(m);
  for (int k = 0; k < 2; ++k) {
    double mean = 0, sq = 0;
    for (int r = 0; r < 4; ++r) mean += y(r, k) / 4;
    for (int r = 0; r < 4; ++r) sq += (y(r, k) - mean) * (y(r, k) - mean) / 4;
    CHECK(mean == Approx(0).margin(1e-12));
    CHECK(sq == Approx(1).epsilon(1e-12));
  }
  Matrix back = s.inverse(y);
  for (std::size_t i = 0; i < m.data.size(); ++i) CHECK(back.data[i] == Approx(m.data[i]).epsilon(1e-12));
  CHECK(s.log_det() == Approx(std::log(s.a[0]) + std::log(s.a[1])));
  Matrix constant(3, 1);
  constant.data = {1, 1, 1};
  CHECK_THROWS_AS(Standardizer::fit(constant), InputError);
}

TEST_CASE("time grids: exponent formula, randomized cells, progressive N", "[grid]") {
  GridSpec spec;  // exponent, t 0.001..0.05, p 0.9
  TimeGrid g = make_grid(spec, GSchedule::constant(0.2), 30);
  REQUIRE(g.N() == 30);
  const double a = std::pow(0.001, 0.9), b = std::pow(0.05, 0.9);
  for (int i = 0; i <= 30; ++i) CHECK(g.t[i] == Approx(std::pow(a + (b - a) * i / 30.0, 1 / 0.9)).epsilon(1e-14));
  spec.randomize = true;
  NoiseKey k1{1, 1}, k2{1, 2};
  TimeGrid r1 = make_grid(spec, GSchedule::constant(0.2), 30, &k1), r1b = make_grid(spec, GSchedule::constant(0.2), 30, &k1),
           r2 = make_grid(spec, GSchedule::constant(0.2), 30, &k2);
  CHECK(r1.t == r1b.t);
  CHECK(r1.t != r2.t);
  CHECK(r1.t.front() == 0.001);
  CHECK(r1.t.back() == 0.05);
  for (int i = 0; i < 30; ++i) CHECK(r1.t[i + 1] > r1.t[i]);
  spec.progressive = parse_progressive("5:0,10:500,20:1000,30:1500");
  CHECK(spec.steps_at(0) == 5);
  CHECK(spec.steps_at(499) == 5);
  CHECK(spec.steps_at(500) == 10);
  CHECK(spec.steps_at(1700) == 30);
  CHECK_THROWS_AS(parse_progressive("5-0"), InputError);
  GSchedule gs{{0.0, 1.0}, {1.0, 3.0}};
  CHECK(gs(0.5) == Approx(2.0));
  CHECK(gs(2.0) == Approx(3.0));
}

TEST_CASE("the data's identity: absolute path, size, hash; a changed file is told apart", "[data]") {
  std::string dir = temp_dir("ident");
  atomic_write_file(dir + "/d.csv", "1,2\n3,4\n5,7\n");
  const std::string rel = std::filesystem::relative(dir + "/d.csv").string();
  DataSource a(rel);
  CHECK(a.spec() == dir + "/d.csv");  // absolute, whatever the working directory was
  CHECK(a.file_size() == 12);
  CHECK(a.sha256().size() == 64);
  CHECK(a.differs_from(12, a.sha256()).empty());
  atomic_write_file(dir + "/d.csv", "1,2\n3,4\n5,8\n");  // same size, other content
  DataSource b(dir + "/d.csv");
  CHECK(b.differs_from(12, a.sha256()).find("changed since the run began") != std::string::npos);
  DataSource carpet("carpet");
  CHECK(carpet.spec() == "carpet:3");  // a set's parameters spelled out
  CHECK(carpet.differs_from(0, "").empty());
  CHECK(a.outlier_warning().empty());
  std::string rows;
  for (int i = 0; i < 200; ++i) rows += std::to_string(i % 7) + "," + std::to_string(i % 5) + "\n";
  atomic_write_file(dir + "/outlier.csv", rows + "1e300,1\n");
  DataSource o(dir + "/outlier.csv");
  CHECK(o.outlier_warning().find("1 value(s) in column 1") != std::string::npos);
  CHECK(o.outlier_warning().find("row 201: 1e+300") != std::string::npos);
}

TEST_CASE("log.csv follows the checkpoint: a crash between the two is repaired, a foreign log kept", "[log]") {
  std::string dir = temp_dir("logfix");
  const std::string path = dir + "/log.csv", rows = "1,2.5,a\n2,2.4,b\n3,2.3,c\n";
  CHECK(restore_log_file(path, rows) == 3);  // missing: written whole
  CHECK(read_file(path) == kLogHeader + rows);
  CHECK(restore_log_file(path, rows) == 0);  // already right: untouched
  atomic_write_file(path, kLogHeader + std::string("1,2.5,a\n"));
  CHECK(restore_log_file(path, rows) == 2);  // an earlier state of the same log: its tail restored
  CHECK(read_file(path) == kLogHeader + rows);
  atomic_write_file(path, kLogHeader + rows + "4,2.2,d\n");
  CHECK(restore_log_file(path, rows) == 0);  // a later state of the same log: left for the next save
  CHECK(read_file(path) == kLogHeader + rows + "4,2.2,d\n");
  atomic_write_file(path, kLogHeader + std::string("1,2.5,a\n2,2.4,b\n3,2.3,x\n4,2.2,d\n"));
  CHECK_THROWS_AS(restore_log_file(path, rows), InputError);  // differs within the rows: not this run's
  atomic_write_file(path, kLogHeader + std::string("1,9.9,z\n"));
  CHECK_THROWS_AS(restore_log_file(path, rows), InputError);  // another log: never overwritten
  CHECK(read_file(path) == kLogHeader + std::string("1,9.9,z\n"));
  CHECK(log_losses(rows) == std::vector<double>{2.5, 2.4, 2.3});
}

TEST_CASE("a resume after a crash between checkpoint and log.csv gives the uninterrupted log", "[resume]") {
  auto be = make_cpu_backend();
  RunConfig c = small_config();
  DataSource data(c.data);
  std::string a = temp_dir("crash_full"), b = temp_dir("crash_cut");
  RunState sa = new_run_state(c, data), sb = new_run_state(c, data);
  REQUIRE(train(*be, c, sa, data, TrainOptions{a, true}) == 0);
  REQUIRE(train(*be, c, sb, data, TrainOptions{b, true}) == 0);
  // log.csv as a kill right after the last checkpoint's rename leaves it: the rows up to 10
  const std::string full = read_file(b + "/log.csv");
  std::size_t cut = 0;
  for (int line = 0; line < 11; ++line) cut = full.find('\n', cut) + 1;
  atomic_write_file(b + "/log.csv", full.substr(0, cut));
  RunConfig c2;
  RunState s2;
  load_checkpoint(b, c2, s2);
  REQUIRE(s2.iteration == 12);
  REQUIRE(train(*be, c2, s2, data, TrainOptions{b, true}) == 0);
  CHECK(log_losses(s2.log_rows).size() == 12);
  CHECK(log_losses(read_file(b + "/log.csv").substr(std::strlen(kLogHeader))) == log_losses(sa.log_rows));
  CHECK(log_losses(sa.log_rows).size() == 12);
  CHECK(log_losses(read_file(a + "/log.csv").substr(std::strlen(kLogHeader))) == log_losses(sa.log_rows));
}
