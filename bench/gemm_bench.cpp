// `diffflow-bench gemm`: the matrix products of the CPU network passes at the sweep shapes, timed
// against the alternatives, one thread, in one run (the measurement that chose the CPU kernels):
//   engine fwd   C = Wᵀ-packed · H (kernels/cpu/gemm.h gemm_kmajor; weights packed once per
//                sweep call and reused across the N steps)
//   engine dW    R += dZ · Hᵀ over the samples (gemm_acc_nt, the weight gradient)
//   eigen fwd    C = W · H with W the row-major weight map, as the engine did before
//   eigen packed C = Wᵀ · H with W already transposed into column-major (Eigen's own packing)
//   eigen dW     R += dZ · Hᵀ
//   openblas     cblas_sgemm for both (only when built against OpenBLAS: Debian's
//                libopenblas-dev, found by CMake; the engine does not link it)
// for chunks of n = 64 .. 1024 samples at W = 128 (and --width). Median of 9 repetitions of
// about 2 ms each. Writes DIR/gemm.md and DIR/gemm.json.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <sstream>
#include <vector>

#include <Eigen/Dense>

#include "bench/bench.h"
#include "engine/cpu_parallel.h"
#include "host/cli_args.h"
#include "host/errors.h"
#include "host/io.h"
#include "kernels/cpu/gemm.h"

#ifdef DF_BENCH_OPENBLAS
#include <cblas.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

double gflops(double flop, const std::function<void()>& f) {
  const int calls = std::max(1, int(2e8 / flop));
  for (int i = 0; i < calls; ++i) f();
  std::vector<double> per;
  for (int rep = 0; rep < 9; ++rep) {
    const auto t0 = Clock::now();
    for (int i = 0; i < calls; ++i) f();
    per.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / calls);
  }
  std::sort(per.begin(), per.end());
  return flop / per[per.size() / 2] / 1e9;
}

struct Row {
  int n = 0;
  std::vector<std::pair<std::string, double>> rates;
};

}  // namespace

int cmd_gemm(int argc, char** argv) {
  df::Args a("gemm", "diffflow-bench gemm [--width W] [--chunks 64,128,...] --out DIR");
  a.option("width", "W", "network width (the products are W×W by W×n)", "128");
  a.option("chunks", "n1,n2,..", "samples per product", "64,128,256,512,1024");
  a.option("out", "DIR", "where gemm.md and gemm.json go (created)");
  if (!a.parse(argc, argv, 2)) return 0;
  const std::string out = a.required("out");
  const int W = int(a.integer("width", 1, 4096));
  const std::vector<int> chunks = a.integers("chunks", 1, 100000);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (!std::filesystem::is_directory(out)) throw df::InputError("gemm: --out: cannot create directory '" + out + "'");
  const int Wp = df::round_up_lanes<float>(W);
  std::vector<Row> rows;
  for (int n : chunks) {
    Row row;
    row.n = n;
    std::vector<float> w(std::size_t(W) * W), wt(std::size_t(W) * Wp, 0.f), h(std::size_t(W) * n), c(std::size_t(W) * n);
    std::vector<float> r(std::size_t(W) * W, 0.f);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(std::sin(0.37 * double(i)) * 0.1);
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = float(std::cos(0.11 * double(i)) * 0.1);
    for (int m = 0; m < W; ++m)
      for (int k = 0; k < W; ++k) wt[std::size_t(k) * Wp + m] = w[std::size_t(m) * W + k];
    const double flop = 2.0 * W * W * n;
    std::fprintf(stderr, "[gemm] (%dx%d)·(%dx%d)\n", W, W, W, n);
    row.rates.push_back({"engine fwd", gflops(flop, [&] { df::gemm_kmajor(W, n, W, wt.data(), Wp, h.data(), W, c.data(), W); })});
    row.rates.push_back({"engine dW", gflops(flop, [&] { df::gemm_acc_nt(W, W, n, c.data(), W, h.data(), W, r.data(), W); })});
    using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<const RowMat> Wr(w.data(), W, W);
    Eigen::Map<const Eigen::MatrixXf> H(h.data(), W, n);
    Eigen::Map<Eigen::MatrixXf> C(c.data(), W, n);
    Eigen::Map<RowMat> R(r.data(), W, W);
    const Eigen::MatrixXf Wc = Wr;  // column-major copy
    row.rates.push_back({"eigen fwd", gflops(flop, [&] { C.noalias() = Wr * H; })});
    row.rates.push_back({"eigen packed", gflops(flop, [&] { C.noalias() = Wc * H; })});
    row.rates.push_back({"eigen dW", gflops(flop, [&] { R.noalias() += C * H.transpose(); })});
#ifdef DF_BENCH_OPENBLAS
    openblas_set_num_threads(1);
    row.rates.push_back({"openblas fwd", gflops(flop, [&] {
                           cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, W, n, W, 1.f, w.data(), W, h.data(), W,
                                       0.f, c.data(), W);
                         })});
    row.rates.push_back({"openblas dW", gflops(flop, [&] {
                           cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, W, W, n, 1.f, c.data(), n, h.data(), n,
                                       1.f, r.data(), W);
                         })});
#endif
    for (const auto& [name, v] : row.rates) std::fprintf(stderr, "[gemm]   %-13s %.1f GFLOP/s\n", name.c_str(), v);
    rows.push_back(row);
  }
  std::ostringstream md, js;
  md << "# diffflow-bench gemm\n\nOne thread, GFLOP/s (median of 9), products (" << W << "x" << W << ")·(" << W
     << "x n); CPU code built for " << df::isa_name() << ".\n\n| n |";
  for (const auto& [name, v] : rows[0].rates) md << " " << name << " |";
  md << "\n|---|";
  for (std::size_t i = 0; i < rows[0].rates.size(); ++i) md << "---|";
  md << "\n";
  js << "{\"width\": " << W << ", \"isa\": \"" << df::isa_name() << "\", \"rows\": [";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    md << "| " << rows[i].n << " |";
    js << (i ? ", " : "") << "{\"n\": " << rows[i].n;
    for (const auto& [name, v] : rows[i].rates) {
      md << " " << dfb::fmt(v, "%.1f") << " |";
      js << ", \"" << name << "\": " << dfb::fmt(v, "%.2f");
    }
    md << "\n";
    js << "}";
  }
  js << "]}\n";
#ifndef DF_BENCH_OPENBLAS
  md << "\nOpenBLAS: not measured (diffflow-bench was built without it; install libopenblas-dev and rebuild).\n";
#endif
  df::atomic_write_file(out + "/gemm.md", md.str());
  df::atomic_write_file(out + "/gemm.json", js.str());
  std::fprintf(stderr, "[gemm] wrote %s/gemm.md\n", out.c_str());
  return 0;
}
