// The DiffFlow loss and its gradient against a golden file made by automatic differentiation
// through the unrolled trajectory in an independent implementation (PyTorch, float64:
// data/golden/make_adjoint_golden.py). The stored noise is fed to the engine as is.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "engine/diffflow.h"
#include "tests/fd.h"

using namespace df;

namespace {
std::map<std::string, std::vector<double>> read_golden(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::map<std::string, std::vector<double>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string name;
    std::size_t n;
    ss >> name >> n;
    std::vector<double> v(n);
    for (auto& x : v) ss >> x;
    REQUIRE(!ss.fail());
    out[name] = v;
  }
  return out;
}
}  // namespace

TEST_CASE("loss and gradient match PyTorch autograd through the unrolled trajectory", "[golden]") {
  auto g = read_golden(std::string(DF_SOURCE_DIR) + "/data/golden/adjoint_small.txt");
  const auto& sh = g.at("shape");
  const int d = int(sh[0]), W = int(sh[1]), L = int(sh[2]), B = int(sh[3]), N = int(sh[4]);
  NetShape s{d, W, L};
  REQUIRE(g.at("params_f").size() == s.n_params());
  TimeGrid grid;
  grid.t = g.at("t");
  grid.g = g.at("g");
  REQUIRE(grid.N() == N);
  MatX<double> x0 = Eigen::Map<const MatX<double>>(g.at("x0").data(), d, B);
  ArrayNoise noise;
  for (int i = 0; i < N; ++i)
    noise.eps.push_back(Eigen::Map<const MatX<double>>(g.at("eps").data() + std::size_t(i) * d * B, d, B));
  NetPair<double> net{s, g.at("params_f").data(), g.at("params_s").data()};
  for (int K : {1, 3, N}) {
    std::vector<double> gf(s.n_params(), 0.0), gs(s.n_params(), 0.0);
    VecX<double> per;
    double L_mean = diffflow_loss_grad<double>(gf.data(), gs.data(), nullptr, &per, net, x0, grid, noise, K);
    INFO("K = " << K);
    CHECK(L_mean == Approx(g.at("loss_mean")[0]).epsilon(1e-12));
    test::expect_close(std::vector<double>(per.data(), per.data() + per.size()), g.at("loss_per_sample"), 1e-12,
                       "per-sample loss");
    test::expect_close(gf, g.at("grad_f"), 1e-10, "drift gradient");
    test::expect_close(gs, g.at("grad_s"), 1e-10, "score gradient");
  }
}
