// Diffuse-process snapshots and mode labels for figures; see host/trajectories.h.
#include "host/trajectories.h"

#include <cmath>

#include "engine/diffflow.h"
#include "engine/ffjord.h"
#include "host/model_ops.h"

namespace df {

std::vector<Matrix> diffuse_snapshots(const RunConfig& cfg, const RunState& st, const Matrix& raw,
                                      const std::vector<double>& fractions, std::uint64_t seed) {
  const ModelDesc desc = cfg.desc();
  const int d = cfg.shape.d, B = int(raw.rows);
  TimeGrid grid = eval_grid(cfg, 0);
  const int N = grid.N();
  std::vector<float> xf = st.stdz.to_model_floats(raw);
  MatX<double> x = Eigen::Map<const MatX<float>>(xf.data(), d, B).cast<double>();
  std::vector<double> f(st.f.ema.begin(), st.f.ema.end()), s(st.s.ema.begin(), st.s.ema.end());
  NetPair<double> net(cfg.shape, f.data(), s.data(), desc.kind, desc.vp);
  std::vector<MatX<double>> states{x};  // x_0 .. x_N
  if (desc.kind == ModelKind::FFJORD) {
    VecX<double> ell = VecX<double>::Zero(B);
    for (int n = 0; n < N; ++n) {
      rk4_step<double>(x, ell, cfg.shape, f.data(), grid.t[n], grid.dt(n), nullptr);
      states.push_back(x);
    }
  } else {
    DiffuseOut<double> out;
    diffuse_sweep(out, net, x, grid, PhiloxNoise(NoiseKey{seed, 0}, kStreamDiffuse), 1);
    states = out.ckpt;  // K = 1 keeps x_0 .. x_{N−1}
    states.push_back(out.xN);
  }
  std::vector<Matrix> snaps;
  for (double fr : fractions) {
    const int j = std::max(0, std::min(N, int(std::lround(fr * N))));
    Matrix m{std::size_t(B), std::size_t(d)};
    for (int b = 0; b < B; ++b)
      for (int k = 0; k < d; ++k) m(std::size_t(b), std::size_t(k)) = states[std::size_t(j)](k, b);
    snaps.push_back(std::move(m));
  }
  return snaps;
}

std::vector<int> mode_labels(const std::string& name, const Matrix& raw) {
  std::vector<int> lab(raw.rows, 0);
  auto nearest = [&](const std::vector<std::pair<double, double>>& c) {
    for (std::size_t i = 0; i < raw.rows; ++i) {
      double best = 1e300;
      for (std::size_t k = 0; k < c.size(); ++k) {
        double dx = raw(i, 0) - c[k].first, dy = raw(i, 1) - c[k].second, dd = dx * dx + dy * dy;
        if (dd < best) { best = dd; lab[i] = int(k); }
      }
    }
  };
  if (raw.cols < 2) return lab;
  if (name == "olympic" || name == "four") {
    std::vector<std::pair<double, double>> c{{-1.75, 0.75}, {0, 0.75}, {1.75, 0.75}, {-1.05, -0.75}, {1.05, -0.75}};
    if (name == "four") c.erase(c.begin());
    // a point on a ring is at distance 1 from its centre (host/datasets.cpp): label by the closest ring
    for (std::size_t i = 0; i < raw.rows; ++i) {
      double best = 1e300;
      for (std::size_t k = 0; k < c.size(); ++k) {
        double r = std::hypot(raw(i, 0) - c[k].first, raw(i, 1) - c[k].second);
        if (std::fabs(r - 1.0) < best) { best = std::fabs(r - 1.0); lab[i] = int(k); }
      }
    }
  } else if (name == "8gaussians") {
    std::vector<std::pair<double, double>> c;
    for (int k = 0; k < 8; ++k) c.push_back({4 * std::cos(k * M_PI / 4) / 1.414, 4 * std::sin(k * M_PI / 4) / 1.414});
    nearest(c);
  } else if (name == "rings" || name == "circles") {
    for (std::size_t i = 0; i < raw.rows; ++i) lab[i] = int(std::hypot(raw(i, 0), raw(i, 1)) / (name == "rings" ? 0.75 : 2.25));
  } else if (name == "checkerboard") {
    // the 8 filled squares (2 per column of width 2): column·2 + which of the column's two
    for (std::size_t i = 0; i < raw.rows; ++i) {
      int col = std::max(0, std::min(3, int(std::floor(raw(i, 0) / 2)) + 2));
      int row = std::max(0, std::min(3, int(std::floor(raw(i, 1) / 2)) + 2));
      lab[i] = col * 2 + row / 2;
    }
  } else {
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < raw.rows; ++i) { mx += raw(i, 0); my += raw(i, 1); }
    mx /= double(raw.rows);
    my /= double(raw.rows);
    for (std::size_t i = 0; i < raw.rows; ++i)
      lab[i] = int(std::floor((std::atan2(raw(i, 1) - my, raw(i, 0) - mx) + M_PI) / (2 * M_PI) * 8)) % 8;
  }
  for (int& l : lab) l = ((l % 10) + 10) % 10;
  return lab;
}

}  // namespace df
