// The CPU block emulator (kernels/emu/block_emulator.h): barriers, warp butterflies, shared
// memory, the block reduction of kernels/cuda/optim_bodies.h, and loud failures: a missing
// barrier participant, threads at different barriers, an exception in a kernel body.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/cuda/optim_bodies.h"
#include "kernels/emu/block_emulator.h"

using namespace df;

TEST_CASE("emulator: indices, shared memory and barriers", "[emu]") {
  const int G = 3, T = 70;  // a partial last warp
  std::vector<int> out(size_t(G) * T, -1);
  launch_emulated(G, T, T * sizeof(int), [&](EmuExec& ex) {
    int* sm = ex.shared<int>();
    sm[ex.tid()] = ex.tid() * 10 + ex.bid();
    ex.sync();
    // read a neighbour's value: only correct if the barrier held everyone
    out[size_t(ex.bid()) * T + ex.tid()] = sm[(ex.tid() + 1) % ex.nthreads()];
    ex.sync();
    CHECK(ex.nblocks() == G);
  });
  for (int b = 0; b < G; ++b)
    for (int t = 0; t < T; ++t) REQUIRE(out[size_t(b) * T + t] == ((t + 1) % T) * 10 + b);
}

TEST_CASE("emulator: shfl_xor butterflies and the block sum", "[emu]") {
  for (int T : {32, 96, 40}) {
    DYNAMIC_SECTION("threads " << T) {
      std::vector<double> part(2, 0.0);
      std::vector<float> g(1000);
      std::iota(g.begin(), g.end(), 1.0f);
      launch_emulated(2, T, size_t(T) * sizeof(double), [&](EmuExec& ex) { sq_norm_body(ex, part.data(), g.data(), g.size()); });
      double want = 0;
      for (float v : g) want += double(v) * v;
      CHECK(part[0] + part[1] == Approx(want).epsilon(1e-15));
      if (T % 32 == 0) {  // every lane of a warp sees the warp sum
        std::vector<int> sums(static_cast<size_t>(T), 0);
        launch_emulated(1, T, 0, [&](EmuExec& ex) {
          int v = ex.tid();
          for (int m = 16; m >= 1; m /= 2) v += ex.shfl_xor(v, m);
          sums[size_t(ex.tid())] = v;
        });
        for (int t = 0; t < T; ++t) {
          const int w0 = t / 32 * 32;
          REQUIRE(sums[size_t(t)] == 32 * w0 + 31 * 32 / 2);
        }
      }
    }
  }
}

TEST_CASE("emulator: a missing barrier participant is a deadlock", "[emu]") {
  auto body = [](EmuExec& ex) {
    if (ex.tid() == 5) return;  // never reaches the barrier
    ex.sync();
  };
  CHECK_THROWS_WITH(launch_emulated(1, 64, 0, body), Catch::Contains("deadlock") && Catch::Contains("returned"));
}

TEST_CASE("emulator: a warp operation not all lanes reach is a deadlock", "[emu]") {
  auto body = [](EmuExec& ex) {
    float v = 1.f;
    if (ex.tid() != 3) v = ex.shfl_xor(v, 1);
    ex.sync();
  };
  CHECK_THROWS_WITH(launch_emulated(1, 32, 0, body), Catch::Contains("deadlock"));
}

TEST_CASE("emulator: syncwarp waits for the warp's lanes, a partial warp's included", "[emu]") {
  // lanes write after a divergent loop; after syncwarp every lane of the warp sees every write
  static int seen[48];
  auto body = [](EmuExec& ex) {
    int* flag = ex.shared<int>();
    for (int i = ex.tid(); i < 40; i += ex.nthreads()) flag[i] = 0;
    ex.sync();
    for (int k = 0; k < (ex.tid() % 5); ++k) flag[ex.tid() % 40] += 1;  // lanes diverge in trip count
    ex.syncwarp();
    int sum = 0;
    const int w0 = ex.tid() / 32 * 32;
    for (int l = w0; l < std::min(w0 + 32, ex.nthreads()); ++l) sum += l < 40 ? flag[l] : 0;
    seen[ex.tid()] = sum;
  };
  launch_emulated(1, 40, 40 * sizeof(int), body);
  int want0 = 0, want1 = 0;
  for (int l = 0; l < 32; ++l) want0 += l % 5;
  for (int l = 32; l < 40; ++l) want1 += l % 5;
  for (int t = 0; t < 32; ++t) CHECK(seen[t] == want0);
  for (int t = 32; t < 40; ++t) CHECK(seen[t] == want1);  // the 8-lane partial warp
  // a lane meeting the others at a shuffle instead is an error; a lane that never arrives, a deadlock
  CHECK_THROWS_WITH(launch_emulated(1, 32, 0,
                                    [](EmuExec& ex) {
                                      if (ex.tid() == 3) (void)ex.shfl(1.f, 0);
                                      else ex.syncwarp();
                                    }),
                    Catch::Contains("mixed syncwarp"));
  CHECK_THROWS_WITH(launch_emulated(1, 32, 0,
                                    [](EmuExec& ex) {
                                      if (ex.tid() != 3) ex.syncwarp();
                                      ex.sync();
                                    }),
                    Catch::Contains("deadlock"));
}

TEST_CASE("emulator: tile_done poisons shared memory between a block's tiles, past keep_bytes", "[emu]") {
  // two tiles per block; tile 1 reads what tile 0 left (a stale read) and its own fresh value
  static float stale[2][64], fresh[2][64], kept[2][64];
  auto body = [](EmuExec& ex) {
    float* sm = ex.shared<float>();  // [0, 64): block-lifetime data kept; [64, 192): per tile
    sm[ex.tid()] = float(ex.tid());
    for (int tile = 0; tile < 2; ++tile) {
      if (tile == 1) stale[ex.bid()][ex.tid()] = sm[64 + ex.tid()];
      sm[128 + ex.tid()] = float(tile);
      ex.sync();
      fresh[ex.bid()][ex.tid()] = sm[128 + (ex.tid() + 1) % 64];  // a neighbour's value, after the barrier
      ex.sync();
      if (tile == 0) sm[64 + ex.tid()] = 7.f;
      ex.sync();
      ex.tile_done(64 * sizeof(float));
    }
    kept[ex.bid()][ex.tid()] = sm[ex.tid()];
  };
  launch_emulated(2, 64, 192 * sizeof(float), body);
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 64; ++t) {
      CHECK(std::isnan(stale[b][t]));  // 7 without the poison
      CHECK(fresh[b][t] == 1.f);       // the second tile's own values survive (poisoned once, before them)
      CHECK(kept[b][t] == float(t));
    }
}

TEST_CASE("emulator: 8- and 16-byte accesses must be aligned to their size, as on the device", "[emu]") {
  struct alignas(16) Q {
    float v[4];
  };
  struct alignas(8) P {
    float v[2];
  };
  alignas(16) float buf[16] = {};
  const auto at = [&](int floats) { return buf + floats; };
  // aligned: fine, in shared and in global memory
  launch_emulated(1, 32, 64, [&](EmuExec& ex) {
    float* sm = ex.shared<float>();
    ex.st(reinterpret_cast<Q*>(sm), 1, Q{{1, 2, 3, 4}});
    const Q q = ex.ld(reinterpret_cast<const Q*>(at(4)), 0);
    ex.st(reinterpret_cast<P*>(at(2)), 0, P{{q.v[0], q.v[1]}});
  });
  // 4 bytes off a 16-byte line, 4 bytes off an 8-byte pair, a shared 16-byte store 8 bytes off
  CHECK_THROWS_WITH(launch_emulated(1, 32, 0, [&](EmuExec& ex) { (void)ex.ld(reinterpret_cast<const Q*>(at(1)), 0); }),
                    Catch::Contains("misaligned 16-byte access") && Catch::Contains("test_emu_block.cpp"));
  CHECK_THROWS_WITH(launch_emulated(1, 32, 0, [&](EmuExec& ex) { ex.add(reinterpret_cast<double*>(at(1)), 0, 1.0); }),
                    Catch::Contains("misaligned 8-byte access"));
  CHECK_THROWS_WITH(launch_emulated(1, 32, 64, [&](EmuExec& ex) {
                      ex.st(reinterpret_cast<Q*>(ex.shared<float>() + 2), 0, Q{{0, 0, 0, 0}});
                    }),
                    Catch::Contains("misaligned 16-byte access"));
  // 4-byte accesses may sit anywhere on a word
  launch_emulated(1, 32, 0, [&](EmuExec& ex) { ex.st(at(3), 0, ex.ld(at(1), 0)); });
}

TEST_CASE("emulator: threads at different barriers are a deadlock", "[emu]") {
  auto body = [](EmuExec& ex) {
    if (ex.tid() < 16) ex.sync();
    // the others skip the first barrier and wait for a second one after a shfl the first half never does
    float v = ex.shfl_xor(1.f, 1);
    (void)v;
  };
  CHECK_THROWS_WITH(launch_emulated(1, 32, 0, body), Catch::Contains("deadlock"));
}

TEST_CASE("emulator: an exception in a body reaches the caller; bad shuffles are caught", "[emu]") {
  CHECK_THROWS_WITH(launch_emulated(2, 33, 0,
                                    [](EmuExec& ex) {
                                      if (ex.bid() == 1 && ex.tid() == 7) throw std::runtime_error("boom");
                                      ex.sync();
                                    }),
                    Catch::Contains("boom"));
  // lane 0 of a 1-lane partial warp asks for lane 1
  CHECK_THROWS_WITH(launch_emulated(1, 33, 0, [](EmuExec& ex) { (void)ex.shfl_xor(ex.tid(), 1); }),
                    Catch::Contains("outside"));
}

TEST_CASE("emulated adam and ema bodies equal the per-element loop", "[emu]") {
  const std::size_t n = 1001;
  std::vector<float> p(n), g(n), m(n, 0.01f), v(n, 0.02f), e(n, 0.5f);
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = 0.001f * float(i) - 0.3f;
    g[i] = 0.5f - 0.0007f * float(i);
  }
  std::vector<float> p2 = p, m2 = m, v2 = v, e2 = e;
  // the same step on a second copy, the EMA inside the Adam launch (OptimK's train_step form)
  std::vector<float> p3 = p, m3 = m, v3 = v, e3 = e;
  OptimArgs o;
  AdamArgs& a = o.net[0];
  a.p = p.data(); a.m = m.data(); a.v = v.data(); a.g = g.data(); a.n = n;
  a.scale = 0.7f; a.lr = 0.01f; a.beta1 = 0.9f; a.beta2 = 0.999f; a.eps = 1e-8f; a.bc1 = 0.1f; a.bc2 = 0.001f;
  launch_emulated(3, 64, 0, [&](EmuExec& ex) { optim_body(ex, o); });
  launch_emulated(2, 96, 0, [&](EmuExec& ex) { ema_body(ex, e.data(), p.data(), n, 0.99f); });
  for (std::size_t i = 0; i < n; ++i) {
    adam_element(&p2[i], &m2[i], &v2[i], g[i], a.scale, a.lr, a.beta1, a.beta2, a.eps, a.bc1, a.bc2);
    ema_element(&e2[i], p2[i], 0.99f);
  }
  CHECK(p == p2);
  CHECK(m == m2);
  CHECK(v == v2);
  CHECK(e == e2);
  // as the second of two networks (the first with no elements), its EMA in the same launch
  OptimArgs o2;
  o2.net[1] = a;
  o2.net[1].p = p3.data(), o2.net[1].m = m3.data(), o2.net[1].v = v3.data();
  o2.ema[1] = e3.data();
  o2.decay = 0.99f;
  launch_emulated(2, 96, 0, [&](EmuExec& ex) { optim_body(ex, o2); });
  CHECK(p3 == p2);
  CHECK(m3 == m2);
  CHECK(v3 == v2);
  CHECK(e3 == e2);
}
