// The CPU backend: the reference implementation of engine/backend.h, composed from the
// templated sweeps (engine/diffflow.h, engine/likelihood.h) in float; likelihoods in double.
#include <cmath>
#include <cstring>

#include "engine/backend.h"
#include "engine/cpu_parallel.h"
#include "engine/diffflow.h"
#include "engine/likelihood.h"
#include "kernels/math/errors.h"

namespace df {
namespace {

Eigen::Map<const MatX<float>> as_mat(const Buf& b, int d, int B) { return Eigen::Map<const MatX<float>>(b.ptr, d, B); }


class CpuBackend : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  Buf alloc(std::size_t n) override {
    Buf b;
    b.ptr = new float[n]();
    b.n = n;
    return b;
  }
  void release(Buf& b) override {
    delete[] b.ptr;
    b = Buf{};
  }
  void upload(Buf& dst, const float* host, std::size_t n) override { std::memcpy(dst.ptr, host, n * sizeof(float)); }
  void download(float* host, const Buf& src, std::size_t n) override { std::memcpy(host, src.ptr, n * sizeof(float)); }

  double diffflow_loss_grad(Buf& gf, Buf& gs, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0,
                            int B, const TimeGrid& grid, NoiseKey key, int K) override {
    NetPair<float> net{shape, pf.ptr, ps.ptr};
    // keep the whole trajectory's network caches when they fit (no recompute; the same bits)
    const bool keep = cpu_keeps_trajectory(shape, grid.N());
    return chunked_mean_grad({{gf.ptr, gf.n}, {gs.ptr, gs.n}}, B, [&](const std::vector<float*>& g, int b0, int nb) {
      PhiloxNoise noise(key, kStreamDiffuse, std::uint32_t(b0));
      return df::diffflow_loss_grad<float>(g[0], g[1], nullptr, nullptr, net, as_mat(x0, shape.d, B).middleCols(b0, nb),
                                           grid, noise, K, keep);
    });
  }
  void diffflow_loss(std::vector<double>& loss, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0,
                     int B, const TimeGrid& grid, NoiseKey key) override {
    NetPair<float> net{shape, pf.ptr, ps.ptr};
    loss.assign(std::size_t(B), 0.0);
    parallel_chunks(B, [&](int, int b0, int nb) {
      PhiloxNoise noise(key, kStreamDiffuse, std::uint32_t(b0));
      DiffuseOut<float> out;
      diffuse_sweep(out, net, MatX<float>(as_mat(x0, shape.d, B).middleCols(b0, nb)), grid, noise, 0);
      for (int b = 0; b < nb; ++b) loss[std::size_t(b0 + b)] = out.loss[b];
    });
  }
  void reverse_sweep(Buf& x, const Buf& pf, const Buf& ps, const NetShape& shape, int B, const TimeGrid& grid,
                     NoiseKey key, const Sampler& smp) override {
    NetPair<float> net{shape, pf.ptr, ps.ptr};
    parallel_chunks(B, [&](int, int b0, int nb) {
      PhiloxNoise noise(key, kStreamReverse, std::uint32_t(b0));
      Eigen::Map<MatX<float>> all(x.ptr, shape.d, B);
      MatX<float> m = all.middleCols(b0, nb);
      df::reverse_sweep(m, net, grid, noise, smp);
      all.middleCols(b0, nb) = m;
    });
  }
  void pf_loglik(std::vector<double>& logp, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0, int B,
                 const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt) override {
    std::vector<double> f(pf.ptr, pf.ptr + pf.n), s(ps.ptr, ps.ptr + ps.n);
    NetPair<double> net{shape, f.data(), s.data()};
    logp.assign(std::size_t(B), 0.0);
    parallel_chunks(B, [&](int, int b0, int nb) {
      MatX<double> x = as_mat(x0, shape.d, B).middleCols(b0, nb).cast<double>();
      OdeOptions o = opt;
      o.probe_key.seed = opt.probe_key.seed + std::uint64_t(b0);
      VecX<double> lp = pf_ode_loglik<double>(net, x, grid, g, o);
      for (int b = 0; b < nb; ++b) logp[std::size_t(b0 + b)] = lp[b];
    });
  }
  std::size_t train_bytes(const ModelDesc& m, int B, int N, int K) const override { return host_train_bytes(m, B, N, K); }
  double grad_sq_norm(const Buf& g) override {
    double s = 0;
    for (std::size_t i = 0; i < g.n; ++i) s += double(g.ptr[i]) * g.ptr[i];
    return s;
  }
  void adam_update(Buf& p, const Buf& g, Buf& m, Buf& v, const AdamHyper& h, long step, float scale) override {
    const float bc1 = float(1.0 - std::pow(double(h.beta1), double(step)));
    const float bc2 = float(1.0 - std::pow(double(h.beta2), double(step)));
    for (std::size_t i = 0; i < p.n; ++i)
      adam_element(&p.ptr[i], &m.ptr[i], &v.ptr[i], g.ptr[i], scale, h.lr, h.beta1, h.beta2, h.eps, bc1, bc2);
  }
  void ema_update(Buf& e, const Buf& p, float decay) override {
    for (std::size_t i = 0; i < p.n; ++i) ema_element(&e.ptr[i], p.ptr[i], decay);
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace df
