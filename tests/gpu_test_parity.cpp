// GPU parity: every call of the CUDA backend against the CPU backend on the same inputs and
// noise key (engine/backend.h), relative error ≤ 1e-4 against max |CPU value|, with the worst
// element printed (tests/fd.h expect_close). Odd batches (1, 31, 1000, 4097), N = 1, 7, 30,
// widths 32, 64, 128; the checkpoint interval leaves the GPU's bits unchanged; a short training
// run through the host loop gives the CPU's loss curve, and the same run with train_step's CUDA
// graphs gives the bits of the run launched kernel by kernel. Exits 77 (ctest SKIP) before Catch runs when no CUDA device is present.
// Own main (CATCH_CONFIG_RUNNER): the df_catch_main archive member is then never linked in.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "host/data_source.h"
#include "host/train_log.h"
#include "host/trainer.h"
#include "tests/fd.h"

using namespace df;

namespace {

struct Case {
  int d, W, L, B, N;
  bool grads;  // the adjoint too (the CPU reference dominates the run time)
};

const Case kCases[] = {
    {2, 32, 1, 1, 1, true},       {2, 64, 3, 31, 7, true},     {2, 128, 3, 1000, 30, true},
    {3, 32, 2, 4097, 7, true},    {2, 128, 3, 31, 30, true},   {2, 64, 2, 1000, 1, true},
    {2, 128, 3, 4097, 30, false}, {5, 64, 2, 1000, 7, true},
};

struct Pair {
  std::unique_ptr<Backend> cpu = make_cpu_backend(), gpu = make_cuda_backend();
  std::vector<Buf> owned_cpu, owned_gpu;
  std::pair<Buf, Buf> put(const std::vector<float>& h) {
    Buf c = cpu->alloc(h.size()), g = gpu->alloc(h.size());
    cpu->upload(c, h.data(), h.size());
    gpu->upload(g, h.data(), h.size());
    owned_cpu.push_back(c);
    owned_gpu.push_back(g);
    return {c, g};
  }
  std::vector<double> get(Backend& b, const Buf& x) {
    std::vector<float> h(x.n);
    b.download(h.data(), x, x.n);
    return std::vector<double>(h.begin(), h.end());
  }
  ~Pair() {
    for (Buf& b : owned_cpu) cpu->release(b);
    for (Buf& b : owned_gpu) gpu->release(b);
  }
};

std::vector<float> fvec(const MatX<double>& m) { return std::vector<float>(m.data(), m.data() + m.size()); }

std::string name(const Case& c) {
  std::ostringstream o;
  o << "d=" << c.d << " W=" << c.W << " L=" << c.L << " B=" << c.B << " N=" << c.N;
  return o.str();
}

}  // namespace

TEST_CASE("CUDA sweeps equal the CPU backend", "[gpu]") {
  for (const Case& c : kCases) {
    DYNAMIC_SECTION(name(c)) {
      Pair P;
      const NetShape s{c.d, c.W, c.L};
      std::vector<float> pf(s.n_params()), ps(s.n_params());
      init_params(s, pf.data(), 3, 0, 0.5);
      init_params(s, ps.data(), 3, 1, 0.5);
      auto [cf, gf_] = P.put(pf);
      auto [cs, gs_] = P.put(ps);
      auto [cx, gx] = P.put(fvec(test::random_mat(c.d, c.B, 5, 1.5)));
      GridSpec spec;
      const TimeGrid grid = make_grid(spec, GSchedule{{0.001, 0.02, 0.05}, {0.2, 0.3, 0.25}}, c.N);
      const NoiseKey key{42, 9};

      std::vector<double> lc, lg;
      P.cpu->diffflow_loss(lc, cf, cs, s, cx, c.B, grid, key);
      P.gpu->diffflow_loss(lg, gf_, gs_, s, gx, c.B, grid, key);
      test::expect_close(lg, lc, 1e-4, "per-sample loss");

      if (c.grads) {
        auto [cgf, ggf] = P.put(std::vector<float>(pf.size()));
        auto [cgs, ggs] = P.put(std::vector<float>(ps.size()));
        const double Lc = P.cpu->diffflow_loss_grad(cgf, cgs, cf, cs, s, cx, c.B, grid, key, 5);
        const double Lg = P.gpu->diffflow_loss_grad(ggf, ggs, gf_, gs_, s, gx, c.B, grid, key, 5);
        CHECK(Lg == Approx(Lc).epsilon(1e-4));
        test::expect_close(P.get(*P.gpu, ggf), P.get(*P.cpu, cgf), 1e-4, "drift gradient");
        test::expect_close(P.get(*P.gpu, ggs), P.get(*P.cpu, cgs), 1e-4, "score gradient");
        CHECK(P.gpu->grad_sq_norm(ggf) == Approx(P.cpu->grad_sq_norm(cgf)).epsilon(1e-4));
        // the checkpoint interval changes the memory, not the bits (K = 5 above, K = 1 here)
        auto [cgf1, ggf1] = P.put(std::vector<float>(pf.size()));
        auto [cgs1, ggs1] = P.put(std::vector<float>(ps.size()));
        const double Lg1 = P.gpu->diffflow_loss_grad(ggf1, ggs1, gf_, gs_, s, gx, c.B, grid, key, 1);
        CHECK(Lg1 == Lg);
        CHECK(P.get(*P.gpu, ggf1) == P.get(*P.gpu, ggf));
        CHECK(P.get(*P.gpu, ggs1) == P.get(*P.gpu, ggs));
      }

      for (bool det : {false, true}) {
        auto [cxn, gxn] = P.put(fvec(test::random_mat(c.d, c.B, 6, 1.0)));
        P.cpu->reverse_sweep(cxn, cf, cs, s, c.B, grid, key, det);
        P.gpu->reverse_sweep(gxn, gf_, gs_, s, c.B, grid, key, det);
        test::expect_close(P.get(*P.gpu, gxn), P.get(*P.cpu, cxn), 1e-4, det ? "pf samples" : "sde samples");
      }
    }
  }
}

TEST_CASE("CUDA sweeps with TF32 and BF16 operands stay within 2e-2 of the fp32 CPU backend", "[gpu]") {
  for (MatPrecision prec : {MatPrecision::TF32, MatPrecision::BF16}) {
    for (int W : {64, 128}) {
      DYNAMIC_SECTION(mat_precision_name(prec) << " W=" << W) {
        Pair P;
        P.gpu->set_precision(prec);
        const NetShape s{2, W, 3};
        const int B = 1000, N = 30;
        std::vector<float> pf(s.n_params()), ps(s.n_params());
        init_params(s, pf.data(), 3, 0, 0.5);
        init_params(s, ps.data(), 3, 1, 0.5);
        auto [cf, gf_] = P.put(pf);
        auto [cs, gs_] = P.put(ps);
        auto [cx, gx] = P.put(fvec(test::random_mat(2, B, 5, 1.5)));
        GridSpec spec;
        const TimeGrid grid = make_grid(spec, GSchedule::constant(0.2), N);
        const NoiseKey key{42, 9};
        auto [cgf, ggf] = P.put(std::vector<float>(pf.size()));
        auto [cgs, ggs] = P.put(std::vector<float>(ps.size()));
        const double Lc = P.cpu->diffflow_loss_grad(cgf, cgs, cf, cs, s, cx, B, grid, key, 5);
        const double Lg = P.gpu->diffflow_loss_grad(ggf, ggs, gf_, gs_, s, gx, B, grid, key, 5);
        CHECK(Lg == Approx(Lc).epsilon(2e-2));
        test::expect_close(P.get(*P.gpu, ggf), P.get(*P.cpu, cgf), 2e-2, "drift gradient");
        test::expect_close(P.get(*P.gpu, ggs), P.get(*P.cpu, cgs), 2e-2, "score gradient");
      }
    }
  }
}

TEST_CASE("CUDA optimizer kernels equal the CPU backend", "[gpu]") {
  Pair P;
  const std::size_t n = 99714;  // odd, one W = 128 network
  MatX<double> r = test::random_mat(int(n), 4, 8, 1.0);
  std::vector<float> p(n), g(n), m(n), v(n);
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = float(r(long(i), 0));
    g[i] = float(r(long(i), 1));
    m[i] = float(0.1 * r(long(i), 2));
    v[i] = float(0.01 * std::fabs(r(long(i), 3)));
  }
  auto [cp, gp] = P.put(p);
  auto [cg, gg] = P.put(g);
  auto [cm, gm] = P.put(m);
  auto [cv, gv] = P.put(v);
  auto [ce, ge] = P.put(m);
  AdamHyper h;
  for (long step = 1; step <= 3; ++step) {
    P.cpu->adam_update(cp, cg, cm, cv, h, step, 0.7f);
    P.gpu->adam_update(gp, gg, gm, gv, h, step, 0.7f);
    P.cpu->ema_update(ce, cp, 0.99f);
    P.gpu->ema_update(ge, gp, 0.99f);
  }
  test::expect_close(P.get(*P.gpu, gp), P.get(*P.cpu, cp), 1e-5, "adam parameters");
  test::expect_close(P.get(*P.gpu, gm), P.get(*P.cpu, cm), 1e-5, "adam m");
  test::expect_close(P.get(*P.gpu, gv), P.get(*P.cpu, cv), 1e-5, "adam v");
  test::expect_close(P.get(*P.gpu, ge), P.get(*P.cpu, ce), 1e-5, "ema");
  CHECK(P.gpu->grad_sq_norm(gg) == Approx(P.cpu->grad_sq_norm(cg)).epsilon(1e-12));
}

TEST_CASE("CUDA pf_loglik (fp32 kernel) equals the CPU backend (double)", "[gpu]") {
  struct PfCase {
    int d, W, L, B, N, exact_max_d;
  };
  for (const PfCase& c : {PfCase{2, 32, 2, 31, 7, 16}, PfCase{2, 128, 3, 1000, 10, 16}, PfCase{3, 64, 2, 300, 5, 2}}) {
    DYNAMIC_SECTION("d=" << c.d << " W=" << c.W << " B=" << c.B << (c.d <= c.exact_max_d ? " exact" : " hutchinson")) {
      Pair P;
      const NetShape s{c.d, c.W, c.L};
      std::vector<float> pf(s.n_params()), ps(s.n_params());
      init_params(s, pf.data(), 4, 0, 0.5);
      init_params(s, ps.data(), 4, 1, 0.5);
      auto [cf, gf_] = P.put(pf);
      auto [cs, gs_] = P.put(ps);
      auto [cx, gx] = P.put(fvec(test::random_mat(c.d, c.B, 7, 1.0)));
      GridSpec spec;
      const GSchedule g = GSchedule::constant(0.2);
      const TimeGrid grid = make_grid(spec, g, c.N);
      OdeOptions opt;
      opt.exact_max_d = c.exact_max_d;
      opt.probe_key = NoiseKey{8, 1};
      std::vector<double> lc, lg;
      P.cpu->pf_loglik(lc, cf, cs, s, cx, c.B, grid, g, opt);
      P.gpu->pf_loglik(lg, gf_, gs_, s, gx, c.B, grid, g, opt);
      test::expect_close(lg, lc, 1e-4, "log-likelihood");
    }
  }
}

TEST_CASE("CUDA backend: kernels per call as docs/kernels.md lists them", "[gpu]") {
  Pair P;
  const NetShape s{2, 32, 2};
  std::vector<float> pf(s.n_params()), ps(s.n_params());
  init_params(s, pf.data(), 4, 0, 0.5);
  init_params(s, ps.data(), 4, 1, 0.5);
  auto [cf, gf_] = P.put(pf);
  auto [cs, gs_] = P.put(ps);
  auto [cx, gx] = P.put(fvec(test::random_mat(2, 100, 7, 1.0)));
  auto [cg1, gg1] = P.put(std::vector<float>(pf.size()));
  auto [cg2, gg2] = P.put(std::vector<float>(ps.size()));
  GridSpec spec;
  const TimeGrid grid = make_grid(spec, GSchedule::constant(0.2), 6);
  CHECK(P.cpu->kernel_launches() == -1);
  const long k0 = P.gpu->kernel_launches();
  P.gpu->diffflow_loss_grad(gg1, gg2, gf_, gs_, s, gx, 100, grid, NoiseKey{1, 1}, 3);
  CHECK(P.gpu->kernel_launches() - k0 == 5);  // embed, adjoint, reduce, the embedding backward's two
  const long k1 = P.gpu->kernel_launches();
  P.gpu->reverse_sweep(gx, gf_, gs_, s, 100, grid, NoiseKey{1, 2}, false);
  CHECK(P.gpu->kernel_launches() - k1 == 2);  // embed, reverse
}

namespace {
std::vector<double> logged_losses(const std::string& dir) {
  std::ifstream in(dir + "/log.csv");
  std::string line;
  std::vector<double> out;
  std::getline(in, line);  // header
  while (std::getline(in, line)) out.push_back(std::stod(line.substr(line.find(',') + 1)));
  return out;
}
}  // namespace

// The whole host loop (data, clipping, Adam, EMA, checkpoints) on both backends: the loss curves
// of a short run agree. Adam amplifies nothing here (its step is bounded by the rate), so the
// curves stay within float drift; 1e-3 relative per iteration.
TEST_CASE("a short training run gives the CPU's loss curve on the GPU", "[gpu]") {
  RunConfig c;
  c.data = "8gaussians";
  c.shape = NetShape{2, 64, 2};
  c.grid.N = 10;
  c.batch = 1000;
  c.iters = 25;
  c.save_every = 100;
  c.seed = 5;
  DataSource data(c.data);
  std::vector<std::vector<double>> curves;
  for (const char* dev : {"cpu", "cuda"}) {
    const std::string dir = std::string("/tmp/df_gpu_curve_") + dev + "_" + std::to_string(getpid());
    REQUIRE(std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str()) == 0);
    auto be = std::string(dev) == "cpu" ? make_cpu_backend() : make_cuda_backend();
    RunState st = new_run_state(c, data);
    TrainOptions opt;
    opt.dir = dir;
    opt.quiet = true;
    REQUIRE(train(*be, c, st, data, opt) == 0);
    curves.push_back(logged_losses(dir));
    std::system(("rm -rf '" + dir + "'").c_str());
  }
  REQUIRE(curves[0].size() == size_t(c.iters));
  REQUIRE(curves[1].size() == size_t(c.iters));
  double worst = 0;
  for (int i = 0; i < c.iters; ++i)
    worst = std::max(worst, std::fabs(curves[1][size_t(i)] - curves[0][size_t(i)]) / std::fabs(curves[0][size_t(i)]));
  std::printf("[curve] %d iterations: worst relative loss difference GPU vs CPU %.3g (first %.6f, last %.6f)\n",
              int(c.iters), worst, curves[0].front(), curves[0].back());
  CHECK(worst <= 1e-3);
}

// train_step's CUDA graph (BackendOptions::graphs, from the second iteration of a shape) against
// the same iterations launched one by one: the same kernels on the same arguments, so the same
// bits; and the graph did run.
TEST_CASE("a training run with CUDA graphs equals the run launched kernel by kernel", "[gpu]") {
  RunConfig c;
  c.data = "8gaussians";
  c.shape = NetShape{2, 64, 2};
  c.grid.N = 10;
  c.batch = 1000;
  c.iters = 6;
  c.save_every = 100;
  c.seed = 3;
  c.clip = 0.01;  // the clip scale, computed on the device, is taken
  DataSource data(c.data);
  RunState st[2];
  long graphs[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    const std::string dir = "/tmp/df_gpu_graph_" + std::to_string(k) + "_" + std::to_string(getpid());
    REQUIRE(std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str()) == 0);
    BackendOptions o;
    o.graphs = k == 0;
    auto be = make_cuda_backend(o);
    st[k] = new_run_state(c, data);
    REQUIRE(train(*be, c, st[k], data, TrainOptions{dir, true}) == 0);
    graphs[k] = be->graph_launches();
    std::system(("rm -rf '" + dir + "'").c_str());
  }
  std::printf("[graph] %d iterations, %ld of them as a graph\n", int(c.iters), graphs[0]);
  CHECK(graphs[0] == c.iters - 1);
  CHECK(graphs[1] == 0);
  CHECK(log_losses(st[0].log_rows) == log_losses(st[1].log_rows));
  CHECK(st[0].f.p == st[1].f.p);
  CHECK(st[0].s.p == st[1].s.p);
  CHECK(st[0].f.ema == st[1].f.ema);
  CHECK(st[0].s.v == st[1].s.v);
}

int main(int argc, char** argv) {
  if (cuda_device_count() == 0) {
    std::printf("gpu_test_parity: no CUDA device present, skipped (exit 77)\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
