// The CPU backend: the reference implementation of engine/backend.h, composed from the
// templated sweeps (engine/diffflow.h, engine/likelihood.h) in float; likelihoods in double.
#include <cmath>
#include <cstring>

#include "engine/backend.h"
#include "engine/diffflow.h"
#include "engine/likelihood.h"
#include "host/errors.h"

namespace df {
namespace {

MatX<float> as_mat(const Buf& b, int d, int B) { return Eigen::Map<const MatX<float>>(b.ptr, d, B); }

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
    std::fill(gf.ptr, gf.ptr + gf.n, 0.0f);
    std::fill(gs.ptr, gs.ptr + gs.n, 0.0f);
    NetPair<float> net{shape, pf.ptr, ps.ptr};
    PhiloxNoise noise(key, kStreamDiffuse);
    return df::diffflow_loss_grad<float>(gf.ptr, gs.ptr, nullptr, nullptr, net, as_mat(x0, shape.d, B), grid, noise, K);
  }
  void diffflow_loss(std::vector<double>& loss, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0,
                     int B, const TimeGrid& grid, NoiseKey key) override {
    NetPair<float> net{shape, pf.ptr, ps.ptr};
    PhiloxNoise noise(key, kStreamDiffuse);
    DiffuseOut<float> out;
    diffuse_sweep(out, net, as_mat(x0, shape.d, B), grid, noise, 0);
    loss.assign(out.loss.data(), out.loss.data() + B);
  }
  void reverse_sweep(Buf& x, const Buf& pf, const Buf& ps, const NetShape& shape, int B, const TimeGrid& grid,
                     NoiseKey key, bool deterministic) override {
    NetPair<float> net{shape, pf.ptr, ps.ptr};
    PhiloxNoise noise(key, kStreamReverse);
    MatX<float> m = as_mat(x, shape.d, B);
    df::reverse_sweep(m, net, grid, noise, deterministic);
    std::memcpy(x.ptr, m.data(), sizeof(float) * m.size());
  }
  void pf_loglik(std::vector<double>& logp, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0, int B,
                 const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt) override {
    std::vector<double> f(pf.ptr, pf.ptr + pf.n), s(ps.ptr, ps.ptr + ps.n);
    NetPair<double> net{shape, f.data(), s.data()};
    MatX<double> x = as_mat(x0, shape.d, B).cast<double>();
    VecX<double> lp = pf_ode_loglik<double>(net, x, grid, g, opt);
    logp.assign(lp.data(), lp.data() + B);
  }
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
