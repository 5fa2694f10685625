// Loss and gradient parity between the engine and each peer (PERF.md §5: check parity before
// timing). The engine writes the case, so both sides see the very same numbers:
//   params_f, params_s  the engine's own init_params (seed, net 0 / 1), float values
//   x0                  an olympic batch (host/datasets.h), rescaled and standardized
//                       (host/standardize.h), as floats, B×d row-major (= the engine's d×B)
//   t, g                the exponent grid of the 2-D toy setting (engine/grid.h defaults)
//   eps                 N×B×d, drawn from the engine's PhiloxNoise (key (seed, 0), diffuse stream)
// File format (the one of data/golden/): one line per array, "name count v1 v2 ...", every value
// printed with %.17g so that Python reads back exactly the double the engine holds.
// The engine's values: df::diffflow_loss_grad<double> (engine/diffflow.h) with an ArrayNoise
// holding those eps (float64 check, relative ≤ 1e-6), and the chosen backend in float with the
// same noise key (the float32 figures, informational: relative ≤ 1e-3 expected).
#include <cmath>
#include <cstdio>
#include <fstream>

#include "bench/bench.h"
#include "engine/diffflow.h"
#include "engine/noise.h"
#include "host/datasets.h"
#include "host/errors.h"
#include "host/io.h"
#include "host/standardize.h"

namespace dfb {
namespace {

template <class V> void emit(std::string& out, const char* name, const V& vals) {
  out += name;
  out += " " + std::to_string(vals.size());
  char buf[40];
  for (double v : vals) {
    std::snprintf(buf, sizeof buf, " %.17g", v);
    out += buf;
  }
  out += "\n";
}

std::vector<float> init_net(const df::NetShape& s, std::uint64_t seed, std::uint32_t id) {
  std::vector<float> p(s.n_params());
  df::init_params(s, p.data(), seed, id);
  return p;
}

// eps[i] = d×B noise of step i, as the backend draws it for samples 0..B-1.
std::vector<df::MatX<double>> engine_eps(const Config& cfg, int B, int N) {
  std::vector<df::MatX<double>> eps(static_cast<std::size_t>(N));
  df::PhiloxNoise noise(df::NoiseKey{cfg.seed, 0}, df::kStreamDiffuse, 0);
  for (int i = 0; i < N; ++i) noise.fill(eps[std::size_t(i)], i, cfg.shape.d, B);
  return eps;
}

double rel(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-300); }

}  // namespace

std::vector<float> olympic_batch(int B, std::uint64_t seed) {
  df::Matrix raw = df::sample_dataset("olympic", std::size_t(B), seed);
  return df::Standardizer::fit(raw).to_model_floats(raw);
}

void write_peer_input(const std::string& path, const Config& cfg, int B, int N, const std::vector<float>& x0,
                       bool with_eps) {
  const df::NetShape& s = cfg.shape;
  const df::TimeGrid grid = bench_grid(N);
  std::string out = "# diffflow-bench input for the peers (bench/torch_port.py, bench/jax_port.py): d W L B N; t; g; params; x0 (B x d)";
  out += with_eps ? "; eps (N x B x d)\n" : "\n";
  emit(out, "shape", std::vector<double>{double(s.d), double(s.W), double(s.L), double(B), double(N)});
  emit(out, "t", grid.t);
  emit(out, "g", grid.g);
  emit(out, "params_f", init_net(s, cfg.seed, 0));
  emit(out, "params_s", init_net(s, cfg.seed, 1));
  emit(out, "x0", std::vector<float>(x0.begin(), x0.begin() + std::ptrdiff_t(s.d) * B));
  if (with_eps) {
    std::vector<double> flat;
    for (const auto& e : engine_eps(cfg, B, N)) flat.insert(flat.end(), e.data(), e.data() + e.size());
    emit(out, "eps", flat);
  }
  df::atomic_write_file(path, out);
}

void engine_parity(df::Backend& be, const Config& cfg, Parity& par, const std::string& input_path) {
  const df::NetShape& s = cfg.shape;
  const int B = par.B, N = par.N, K = std::max(1, int(std::ceil(std::sqrt(double(N)))));
  const std::vector<float> x0 = olympic_batch(B, cfg.seed);
  write_peer_input(input_path, cfg, B, N, x0, true);
  const df::TimeGrid grid = bench_grid(N);
  const std::vector<float> pf = init_net(s, cfg.seed, 0), ps = init_net(s, cfg.seed, 1);

  // float64: the templated reference with the stored noise
  std::vector<double> pfd(pf.begin(), pf.end()), psd(ps.begin(), ps.end());
  std::vector<double> gf(pfd.size(), 0.0), gs(psd.size(), 0.0);
  df::NetPair<double> net{s, pfd.data(), psd.data()};
  df::MatX<double> xd = Eigen::Map<const df::MatX<float>>(x0.data(), s.d, B).cast<double>();
  df::ArrayNoise noise;
  noise.eps = engine_eps(cfg, B, N);
  par.eng64[0] = df::diffflow_loss_grad<double>(gf.data(), gs.data(), nullptr, nullptr, net, xd, grid, noise, K);
  auto norm = [](const std::vector<double>& v) {
    double a = 0;
    for (double x : v) a += x * x;
    return std::sqrt(a);
  };
  par.eng64[1] = norm(gf);
  par.eng64[2] = norm(gs);

  // float32: the backend under test, same noise key
  df::Buf bpf = be.alloc(pf.size()), bps = be.alloc(ps.size()), bgf = be.alloc(pf.size()), bgs = be.alloc(ps.size());
  df::Buf bx = be.alloc(x0.size());
  be.upload(bpf, pf.data(), pf.size());
  be.upload(bps, ps.data(), ps.size());
  be.upload(bx, x0.data(), x0.size());
  par.eng32[0] = be.diffflow_loss_grad(bgf, bgs, bpf, bps, s, bx, B, grid, df::NoiseKey{cfg.seed, 0}, K);
  par.eng32[1] = std::sqrt(be.grad_sq_norm(bgf));
  par.eng32[2] = std::sqrt(be.grad_sq_norm(bgs));
  for (df::Buf* b : {&bpf, &bps, &bgf, &bgs, &bx}) be.release(*b);
}

void compare_parity(Parity& par) {
  const char* keys64[3] = {"f64_loss", "f64_grad_norm_f", "f64_grad_norm_s"};
  const char* keys32[3] = {"f32_loss", "f32_grad_norm_f", "f32_grad_norm_s"};
  par.rel64 = par.rel32 = par.rel_eng32 = 0;
  for (int k = 0; k < 3; ++k) {
    if (!json_number(par.json, keys64[k], &par.peer64[k]) || !json_number(par.json, keys32[k], &par.peer32[k])) {
      par.status = "error";
      par.note = std::string("the peer's parity output lacks ") + keys64[k];
      return;
    }
    par.rel64 = std::max(par.rel64, rel(par.peer64[k], par.eng64[k]));
    par.rel32 = std::max(par.rel32, rel(par.peer32[k], par.eng32[k]));
    par.rel_eng32 = std::max(par.rel_eng32, rel(par.eng32[k], par.eng64[k]));
  }
  if (!std::isfinite(par.rel64)) par.rel64 = INFINITY;  // a NaN never passes
  par.status = par.rel64 <= par.tol64 ? "pass" : "fail";
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "float64: max relative difference %.3g (tolerance %g); float32: peer vs engine backend %.3g, "
                "engine float vs double %.3g (expected <= %g)",
                par.rel64, par.tol64, par.rel32, par.rel_eng32, par.tol32);
  par.note = buf;
}

}  // namespace dfb
