// The CPU kernels against plain loops: the products of kernels/cpu/gemm.h at every edge the
// register tiles have (rows not a multiple of the vector or of the panel, columns not a multiple
// of the tile, k = 1, small and wide d), and the network passes of kernels/cpu/mlp.h against a
// direct Eigen transcription of MATH.md §7 in double, at shapes that take every path (d below and
// above one vector, W below, at and above one panel). The bits of a result do not depend on the
// thread count; that is tested on the backend.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "engine/cpu_parallel.h"
#include "engine/diffflow.h"
#include "engine/noise.h"
#include "tests/fd.h"

using namespace df;

namespace {

template <class T> std::vector<T> rand_vec(std::size_t n, unsigned seed) {
  MatX<double> m = test::random_mat(int(n), 1, seed);
  return std::vector<T>(m.data(), m.data() + n);
}

template <class T> double worst_rel(const T* a, const double* b, std::size_t n) {
  double scale = 1e-300, worst = 0;
  for (std::size_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(b[i]));
  for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
  return worst / scale;
}

template <class T> void check_products(int M, int n, int K, double tol) {
  INFO("M=" << M << " n=" << n << " K=" << K << " scalar bytes " << sizeof(T));
  const int lda = round_up_lanes<T>(M);
  std::vector<T> a = rand_vec<T>(std::size_t(K) * lda, 1), b = rand_vec<T>(std::size_t(K) * n, 2);
  // gemm_kmajor: C = A B, A[m][k] = a[k*lda + m]; every element written once by the tiles
  std::vector<T> c(std::size_t(M) * n + 7, T(-999));
  std::vector<int> seen(std::size_t(M) * n, 0);
  gemm_kmajor(M, n, K, a.data(), lda, b.data(), K, c.data(), M, [&](int r0, int rows, int j0, int cols) {
    for (int j = j0; j < j0 + cols; ++j)
      for (int r = r0; r < r0 + rows; ++r) ++seen[std::size_t(j) * M + r];
  });
  std::vector<double> ref(std::size_t(M) * n, 0.0);
  for (int j = 0; j < n; ++j)
    for (int m = 0; m < M; ++m)
      for (int k = 0; k < K; ++k) ref[std::size_t(j) * M + m] += double(a[std::size_t(k) * lda + m]) * b[std::size_t(j) * K + k];
  CHECK(worst_rel(c.data(), ref.data(), ref.size()) <= tol);
  for (int v : seen) REQUIRE(v == 1);
  for (int i = 0; i < 7; ++i) CHECK(c[std::size_t(M) * n + i] == T(-999));  // nothing past the end
  // gemm_dot: C = A B with A row-major M×K (lda = K + 3)
  std::vector<T> ar = rand_vec<T>(std::size_t(M) * (K + 3), 3), cd(std::size_t(M) * n);
  gemm_dot(M, n, K, ar.data(), K + 3, b.data(), K, cd.data(), M);
  std::fill(ref.begin(), ref.end(), 0.0);
  for (int j = 0; j < n; ++j)
    for (int m = 0; m < M; ++m)
      for (int k = 0; k < K; ++k) ref[std::size_t(j) * M + m] += double(ar[std::size_t(m) * (K + 3) + k]) * b[std::size_t(j) * K + k];
  CHECK(worst_rel(cd.data(), ref.data(), ref.size()) <= tol);
  // gemm_acc_nt: R (M×K, ldr = K + 2) += U Vᵀ, U M×n, V K×n; rowsum_acc
  std::vector<T> u = rand_vec<T>(std::size_t(M) * n, 4), r = rand_vec<T>(std::size_t(M) * (K + 2), 5);
  std::vector<double> rref(r.begin(), r.end());
  gemm_acc_nt(M, K, n, u.data(), M, b.data(), K, r.data(), K + 2);
  for (int p = 0; p < M; ++p)
    for (int q = 0; q < K; ++q)
      for (int j = 0; j < n; ++j) rref[std::size_t(p) * (K + 2) + q] += double(u[std::size_t(j) * M + p]) * b[std::size_t(j) * K + q];
  CHECK(worst_rel(r.data(), rref.data(), rref.size()) <= tol);
  std::vector<T> rs = rand_vec<T>(std::size_t(M), 6);
  std::vector<double> rsref(rs.begin(), rs.end());
  rowsum_acc(rs.data(), M, n, u.data(), M);
  for (int p = 0; p < M; ++p)
    for (int j = 0; j < n; ++j) rsref[std::size_t(p)] += double(u[std::size_t(j) * M + p]);
  CHECK(worst_rel(rs.data(), rsref.data(), rsref.size()) <= tol);
}

// The network passes written directly from MATH.md §7 with Eigen (the engine's former code).
struct RefMlp {
  NetShape s;
  const double* p;
  MatX<double> lin(std::size_t w, int rows, int cols) const {
    return Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(p + w, rows, cols);
  }
  VecX<double> vec(std::size_t o, int n) const { return Eigen::Map<const VecX<double>>(p + o, n); }
  static MatX<double> gelu(const MatX<double>& z) { return z.unaryExpr([](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }); }
  static MatX<double> dgelu(const MatX<double>& z) {
    return z.unaryExpr([](double v) { return 0.5 * (1 + std::erf(v / std::sqrt(2.0))) + v * std::exp(-0.5 * v * v) / std::sqrt(2 * M_PI); });
  }
  // y and the pre-activations
  MatX<double> forward(const MatX<double>& x, const VecX<double>& e, std::vector<MatX<double>>* zs) const {
    const int W = s.W;
    MatX<double> z = lin(s.off_inw(), W, s.d) * x;
    z.colwise() += vec(s.off_inb(), W) + e;
    zs->assign(1, z);
    MatX<double> h = gelu(z);
    for (int l = 0; l < s.L; ++l) {
      z = lin(s.off_hw(l), W, W) * h;
      z.colwise() += vec(s.off_hb(l), W);
      zs->push_back(z);
      h = gelu(z);
    }
    MatX<double> y = lin(s.off_outw(), s.d, W) * h;
    y.colwise() += vec(s.off_outb(), s.d);
    return y;
  }
};

}  // namespace

TEST_CASE("CPU products equal plain loops at every tile edge", "[kernels]") {
  for (int M : {1, 2, 3, 15, 16, 17, 63, 64, 65, 128, 136})
    for (int n : {1, 5, 6, 7, 37})
      for (int K : {1, 2, 9, 128}) {
        check_products<double>(M, n, K, 1e-13);
        check_products<float>(M, n, K, 2e-5);
      }
  check_products<float>(128, 256, 128, 2e-5);  // the training shape, blocks of 64 samples
  check_products<float>(128, 300, 130, 2e-5);
}

TEST_CASE("network passes equal the direct formulas (double) on every path", "[kernels][mlp]") {
  // d below/above one vector of doubles (8), W below/at/above one panel (32 doubles), odd B
  for (NetShape s : {NetShape{2, 7, 2}, NetShape{3, 32, 1}, NetShape{9, 20, 2}, NetShape{17, 40, 3},
                     NetShape{1, 72, 0}}) {
    for (int B : {1, 7, 40}) {
      INFO("d=" << s.d << " W=" << s.W << " L=" << s.L << " B=" << B);
      std::vector<double> p(s.n_params());
      init_params(s, p.data(), 5, 1, 1.0);
      const MatX<double> x = test::random_mat(s.d, B, 7, 1.5), dy = test::random_mat(s.d, B, 8), u = test::random_mat(s.d, B, 9);
      EmbedCache<double> ec;
      mlp_embed(ec, s, p.data(), 0.37);
      const MlpWeights<double> w(s, p.data());
      MatX<double> y, dx, ju;
      MlpCache<double> cache;
      cache.keep_z = true;
      mlp_forward(y, w, x, ec, &cache);
      RefMlp ref{s, p.data()};
      std::vector<MatX<double>> zs;
      const MatX<double> yr = ref.forward(x, ec.e, &zs);
      CHECK((y - yr).cwiseAbs().maxCoeff() <= 1e-12 * (1 + yr.cwiseAbs().maxCoeff()));
      for (int l = 0; l <= s.L; ++l) {
        CHECK((cache.z[l] - zs[l]).cwiseAbs().maxCoeff() <= 1e-12 * (1 + zs[l].cwiseAbs().maxCoeff()));
        CHECK((cache.gp[l] - RefMlp::dgelu(zs[l])).cwiseAbs().maxCoeff() <= 1e-13);
        CHECK((cache.h[l] - RefMlp::gelu(zs[l])).cwiseAbs().maxCoeff() <= 1e-12 * (1 + zs[l].cwiseAbs().maxCoeff()));
      }
      // backward: parameter and input gradients against central differences of ⟨y, dy⟩
      std::vector<double> dp(p.size(), 0.0);
      mlp_backward(dp.data(), &dx, w, x, ec, cache, dy);
      auto obj = [&](const std::vector<double>& q, const MatX<double>& xx) {
        EmbedCache<double> e2;
        mlp_embed(e2, s, q.data(), 0.37);
        std::vector<MatX<double>> z2;
        return (RefMlp{s, q.data()}.forward(xx, e2.e, &z2).array() * dy.array()).sum();
      };
      test::expect_close(dp, test::fd_gradient([&](const std::vector<double>& q) { return obj(q, x); }, p, 1e-6), 2e-7,
                         "dparams");
      std::vector<double> xv(x.data(), x.data() + x.size());
      auto fdx = test::fd_gradient(
          [&](const std::vector<double>& q) { return obj(p, Eigen::Map<const MatX<double>>(q.data(), s.d, B)); }, xv, 1e-6);
      test::expect_close(std::vector<double>(dx.data(), dx.data() + dx.size()), fdx, 2e-7, "dx");
      // tangent: J u against the direct formula ż_0 = in.w u, ż_l = W_l (GELU'(z_{l−1}) ⊙ ż_{l−1})
      mlp_jvp(ju, w, cache, u);
      MatX<double> t = ref.lin(s.off_inw(), s.W, s.d) * u;
      for (int l = 0; l < s.L; ++l) t = ref.lin(s.off_hw(l), s.W, s.W) * RefMlp::dgelu(zs[l]).cwiseProduct(t);
      const MatX<double> jr = ref.lin(s.off_outw(), s.d, s.W) * RefMlp::dgelu(zs[s.L]).cwiseProduct(t);
      CHECK((ju - jr).cwiseAbs().maxCoeff() <= 1e-12 * (1 + jr.cwiseAbs().maxCoeff()));
    }
  }
}

TEST_CASE("float network passes agree with double within float rounding", "[kernels][mlp]") {
  for (NetShape s : {NetShape{2, 128, 3}, NetShape{20, 48, 2}, NetShape{5, 12, 1}}) {
    INFO("d=" << s.d << " W=" << s.W << " L=" << s.L);
    const int B = 45;
    std::vector<double> pd(s.n_params());
    init_params(s, pd.data(), 3, 0, 1.0);
    std::vector<float> pf(pd.begin(), pd.end());
    const MatX<double> xd = test::random_mat(s.d, B, 2, 2.0);
    const MatX<float> xf = xd.cast<float>();
    EmbedCache<double> ed;
    EmbedCache<float> ef;
    mlp_embed(ed, s, pd.data(), 0.2);
    mlp_embed(ef, s, pf.data(), 0.2f);
    MatX<double> yd;
    MatX<float> yf;
    mlp_forward(yd, s, pd.data(), xd, ed, nullptr);
    mlp_forward(yf, s, pf.data(), xf, ef, nullptr);
    CHECK((yf.cast<double>() - yd).cwiseAbs().maxCoeff() <= 2e-5 * (1 + yd.cwiseAbs().maxCoeff()));
  }
}

TEST_CASE("keeping the trajectory's caches gives the bits of every checkpoint interval", "[adjoint]") {
  NetShape s{3, 24, 2};
  const int B = 11, N = 7;
  std::vector<float> f(s.n_params()), sc(s.n_params());
  init_params(s, f.data(), 1, 0, 1.0);
  init_params(s, sc.data(), 1, 1, 1.0);
  const MatX<float> x0 = test::random_mat(s.d, B, 3).cast<float>();
  GridSpec spec;
  spec.N = N;
  const TimeGrid grid = make_grid(spec, GSchedule::constant(0.3), N);
  PhiloxNoise noise(NoiseKey{9, 2}, kStreamDiffuse);
  NetPair<float> net{s, f.data(), sc.data()};
  auto run = [&](int K, bool keep, std::vector<float>* gf, std::vector<float>* gs, MatX<float>* dx) {
    gf->assign(f.size(), 0.f);
    gs->assign(sc.size(), 0.f);
    return diffflow_loss_grad<float>(gf->data(), gs->data(), dx, nullptr, net, x0, grid, noise, K, keep);
  };
  std::vector<float> gf1, gs1, gf2, gs2;
  MatX<float> dx1, dx2;
  const double l1 = run(1, false, &gf1, &gs1, &dx1);
  for (int K : {1, 2, 3, 7}) {
    for (bool keep : {false, true}) {
      INFO("K=" << K << " keep_all=" << keep);
      const double l2 = run(K, keep, &gf2, &gs2, &dx2);
      CHECK(l2 == l1);
      CHECK(gf2 == gf1);
      CHECK(gs2 == gs1);
      CHECK(dx2 == dx1);
    }
  }
}
