// GPU: the operand precision of the fused kernels (kernels/cuda/precision.h) through the CUDA
// backend (engine/device_backend.h on CudaDevice):
//   1. the device conversions (cvt.rna.tf32.f32, cvt.rn.bf16.f32 via launch_round_operands)
//      equal the host bit versions on specials, ties and 2^18 random patterns (NaN: is NaN)
//   2. loss, per-sample loss, both gradients and stochastic samples at fp32 / tf32 / bf16 against
//      the CPU fp32 reference (engine/diffflow.h): 1e-4 for fp32, 2e-2 for tf32 and bf16,
//      relative to max |reference|, worst element printed; bf16 must differ from the device fp32
//   3. the smallest case also against the same backend on the emulated device (2e-3: the
//      device contracts a·b + acc into FMAs, the hidden layers run on mma.sync, which sums in
//      its own order, and a changed last bit can flip an operand's rounding; the figure is
//      printed)
//   4. the warp MMAs (kernels/cuda/mma.h: mma.sync m16n8k8 tf32 and m16n8k16 bf16, via
//      launch_mma_fragments) against the emulator's (EmuExec) on the same random fragments:
//      |device − emulator| ≤ 1e-6 · (Σ|a·b| + |c|) per output (the products are exact in both;
//      only the hardware's summation order and internal rounding differ), worst figure and the
//      number of bit-identical outputs printed
// Exits 77 (ctest SKIP) when no CUDA device is present. Never run so far: no GPU was lent.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cuda_runtime.h>

#include <cstdio>
#include <random>
#include <vector>

#include "engine/backend.h"
#include "engine/diffflow.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/mma_check.h"
#include "kernels/emu/block_emulator.h"
#include "tests/emu_run.h"
#include "tests/fd.h"

using namespace df;

namespace {

struct DevMem {  // device buffers freed at scope exit
  std::vector<void*> ptrs;
  template <class T> T* put(const T* h, size_t n) {
    void* p = nullptr;
    CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T)));
    if (h) CUDA_CHECK(cudaMemcpy(p, h, n * sizeof(T), cudaMemcpyHostToDevice));
    else CUDA_CHECK(cudaMemset(p, 0, std::max<size_t>(n, 1) * sizeof(T)));
    ptrs.push_back(p);
    return static_cast<T*>(p);
  }
  ~DevMem() { for (void* p : ptrs) cudaFree(p); }
};

template <class T> std::vector<T> get(const T* d, size_t n) {
  std::vector<T> h(n);
  CUDA_CHECK(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
  return h;
}

struct DevOut {
  std::vector<float> gf, gs, loss, x;
  double mean = 0;
};

// diffflow_loss_grad, the per-sample bound and a stochastic reverse sweep from x0 on a backend
// (the CUDA backend, or the emulated device with the GPU's SM count: the same launch sequence).
DevOut run_backend(Backend& be, const NetShape& s, const std::vector<float>& pf, const std::vector<float>& ps,
                   const std::vector<float>& x0, int B, const TimeGrid& grid, NoiseKey key) {
  test::BackendRun r(be);
  const size_t P = s.n_params();
  Buf &bpf = r.up(pf), &bps = r.up(ps), &bx = r.up(x0), &bgf = r.zeros(P), &bgs = r.zeros(P);
  DevOut o;
  o.mean = be.diffflow_loss_grad(bgf, bgs, bpf, bps, s, bx, B, grid, key, 1);
  o.gf = r.down(bgf);
  o.gs = r.down(bgs);
  std::vector<double> l;
  be.diffflow_loss(l, bpf, bps, s, bx, B, grid, key);
  o.loss.assign(l.begin(), l.end());
  Buf& bxs = r.up(x0);
  be.reverse_sweep(bxs, bpf, bps, s, B, grid, key, false);
  o.x = r.down(bxs);
  return o;
}

std::vector<double> dv(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }
template <class M> std::vector<double> dv(const M& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

double rel(const std::vector<double>& a, const std::vector<double>& b) {
  double sc = 1e-300, w = 0;
  for (double v : b) sc = std::max(sc, std::fabs(v));
  for (size_t i = 0; i < a.size(); ++i) w = std::max(w, std::fabs(a[i] - b[i]));
  return w / sc;
}

}  // namespace

TEST_CASE("device tf32 / bf16 conversions equal the host bit versions", "[gpu][precision]") {
  std::vector<uint32_t> bits = {0u, 0x80000000u, 0x3F800000u, 0x3F801000u, 0x3F808000u, 0x3F818000u, 0x7F7FFFFFu,
                                0xFF7FFFFFu, 0x7F800000u, 0xFF800000u, 0x7F800001u, 0x7FC00000u, 0xFFFFFFFFu,
                                0x00001000u, 0x00008000u, 0x00018000u, 0x007FFFFFu, 0x80000FFFu, 0x7F7FEFFFu};
  std::mt19937 rng(9);
  for (int i = 0; i < (1 << 18); ++i) {
    uint32_t u = rng();
    if (i % 4 == 0) u = (u & 0xFFFF8000u) | 0x8000u;
    if (i % 4 == 1) u = (u & 0xFFFFF000u) | 0x1000u;
    bits.push_back(u);
  }
  std::vector<float> in(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) in[i] = f32_from_bits(bits[i]);
  DevMem m;
  float* din = m.put(in.data(), in.size());
  float* dout = m.put<float>(nullptr, in.size());
  for (MatPrecision p : {MatPrecision::FP32, MatPrecision::TF32, MatPrecision::BF16}) {
    cuda::launch_round_operands(dout, din, in.size(), p);
    const std::vector<float> out = get(dout, in.size());
    long bad = 0;
    size_t first = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const float h = p == MatPrecision::TF32   ? round_tf32_bits(in[i])
                      : p == MatPrecision::BF16 ? round_bf16_bits(in[i])
                                                : in[i];
      const bool ok = std::isnan(h) ? std::isnan(out[i]) : f32_bits(h) == f32_bits(out[i]);
      if (!ok && bad++ == 0) first = i;
    }
    INFO(mat_precision_name(p) << ": first mismatch input 0x" << std::hex << bits[first] << " device 0x"
                               << f32_bits(out[first]));
    CHECK(bad == 0);
  }
}

TEST_CASE("device sweeps with tf32 / bf16 operands stay within 2e-2 of the fp32 CPU reference", "[gpu][precision]") {
  struct Case { int d, W, L, B, N; };
  for (const Case& c : {Case{2, 32, 1, 31, 3}, Case{3, 64, 2, 100, 7}, Case{2, 128, 3, 256, 30}}) {
    const NetShape s{c.d, c.W, c.L};
    std::vector<float> pf(s.n_params()), ps(s.n_params());
    init_params(s, pf.data(), 3, 0, 0.5);
    init_params(s, ps.data(), 3, 1, 0.5);
    const MatX<float> x0 = test::random_mat(c.d, c.B, 5, 1.5).cast<float>();
    const std::vector<float> x0v(x0.data(), x0.data() + x0.size());
    GridSpec spec;
    const TimeGrid grid = make_grid(spec, GSchedule{{0.001, 0.02, 0.05}, {0.2, 0.3, 0.25}}, c.N);
    const NoiseKey key{42, 9};
    const NetPair<float> net{s, pf.data(), ps.data()};
    std::vector<float> rf(pf.size()), rs(ps.size());
    VecX<float> rloss;
    const double rmean = diffflow_loss_grad<float>(rf.data(), rs.data(), nullptr, &rloss, net, x0, grid,
                                                   PhiloxNoise(key, kStreamDiffuse), 2);
    MatX<float> rx = x0;
    reverse_sweep(rx, net, grid, PhiloxNoise(key, kStreamReverse), false);
    DevOut o[3];
    for (int p = 0; p < 3; ++p) {
      const MatPrecision prec = MatPrecision(p);
      BackendOptions opt;
      opt.precision = prec;
      auto gpu = make_cuda_backend(opt);
      o[p] = run_backend(*gpu, s, pf, ps, x0v, c.B, grid, key);
      const double tol = p == 0 ? 1e-4 : 2e-2;
      std::printf("[gpu precision] %s d=%d W=%d L=%d B=%d N=%d: loss %.3g, per-sample %.3g, drift grad %.3g, "
                  "score grad %.3g, samples %.3g\n", mat_precision_name(prec), c.d, c.W, c.L, c.B, c.N,
                  std::fabs(o[p].mean - rmean) / std::fabs(rmean), rel(dv(o[p].loss), dv(rloss)),
                  rel(dv(o[p].gf), dv(rf)), rel(dv(o[p].gs), dv(rs)), rel(dv(o[p].x), dv(rx)));
      CHECK(o[p].mean == Approx(rmean).epsilon(tol));
      test::expect_close(dv(o[p].loss), dv(rloss), tol, "per-sample loss");
      test::expect_close(dv(o[p].gf), dv(rf), tol, "drift gradient");
      test::expect_close(dv(o[p].gs), dv(rs), tol, "score gradient");
      test::expect_close(dv(o[p].x), dv(rx), tol, "sde samples");
      if (c.W == 32) {  // the same backend code on the emulated device, the GPU's SM count
        int dev = 0, sms = 1;
        CUDA_CHECK(cudaGetDevice(&dev));
        CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
        opt.emu_sms = sms;
        auto emu = make_emu_backend(opt);
        const DevOut e = run_backend(*emu, s, pf, ps, x0v, c.B, grid, key);
        std::printf("[gpu precision]   vs emulator: drift grad %.3g, score grad %.3g, loss %.3g\n",
                    rel(dv(o[p].gf), dv(e.gf)), rel(dv(o[p].gs), dv(e.gs)), rel(dv(o[p].loss), dv(e.loss)));
        test::expect_close(dv(o[p].gf), dv(e.gf), 2e-3, "drift gradient vs emulator");
        test::expect_close(dv(o[p].gs), dv(e.gs), 2e-3, "score gradient vs emulator");
      }
    }
    CHECK(rel(dv(o[2].gf), dv(o[0].gf)) > 1e-5);  // bf16 really rounds
    CHECK(rel(dv(o[2].loss), dv(o[0].loss)) > 1e-7);
  }
}

TEST_CASE("device warp mma equals the emulated mma on the same fragments", "[gpu][precision]") {
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::uniform_int_distribution<int> ex(-6, 6);
  auto rnd = [&] { return std::ldexp(u(rng), ex(rng)); };
  const int nwarps = 8, T = 32 * nwarps;
  for (MatPrecision p : {MatPrecision::TF32, MatPrecision::BF16}) {
    double worst = 0;
    long exact = 0, total = 0;
    for (int rep = 0; rep < 16; ++rep) {
      std::vector<uint32_t> a(size_t(T) * 4), b(size_t(T) * 2);
      std::vector<float> c(size_t(T) * 4);
      auto word = [&] { return p == MatPrecision::BF16 ? pack_bf16x2(rnd(), rnd()) : f32_bits(round_tf32(rnd())); };
      for (uint32_t& w : a) w = word();
      for (uint32_t& w : b) w = word();
      for (float& v : c) v = rnd();
      // |a|, |b|, |c|: the emulated product of the magnitudes is Σ|a·b| + |c|, the scale
      const uint32_t sign = p == MatPrecision::BF16 ? 0x80008000u : 0x80000000u;
      std::vector<uint32_t> aa(a), ab(b);
      std::vector<float> ac(c);
      for (uint32_t& w : aa) w &= ~sign;
      for (uint32_t& w : ab) w &= ~sign;
      for (float& v : ac) v = std::fabs(v);
      std::vector<float> emu_d(size_t(T) * 4), scale(size_t(T) * 4);
      MmaFragArgs fe{a.data(), b.data(), c.data(), emu_d.data(), p};
      MmaFragArgs fs{aa.data(), ab.data(), ac.data(), scale.data(), p};
      launch_emulated(1, T, 0, [&](EmuExec& e) { mma_fragments_body(e, fe); });
      launch_emulated(1, T, 0, [&](EmuExec& e) { mma_fragments_body(e, fs); });
      DevMem m;
      MmaFragArgs fd{m.put(a.data(), a.size()), m.put(b.data(), b.size()), m.put(c.data(), c.size()),
                     m.put<float>(nullptr, size_t(T) * 4), p};
      cuda::launch_mma_fragments(fd, nwarps);
      CUDA_CHECK(cudaDeviceSynchronize());
      const std::vector<float> dev_d = get(fd.d, size_t(T) * 4);
      for (size_t i = 0; i < dev_d.size(); ++i) {
        const double err = std::fabs(double(dev_d[i]) - double(emu_d[i])) / double(scale[i]);
        worst = std::max(worst, std::isfinite(err) ? err : 1e30);
        exact += f32_bits(dev_d[i]) == f32_bits(emu_d[i]);
        ++total;
      }
    }
    std::printf("[gpu precision] warp mma %s: device vs emulator worst %.3g of sum|a.b|+|c|, %ld of %ld outputs "
                "bit-identical\n", mat_precision_name(p), worst, exact, total);
    INFO(mat_precision_name(p));
    CHECK(worst <= 1e-6);
  }
}

int main(int argc, char** argv) {
  if (cuda_device_count() == 0) {
    std::printf("gpu_test_precision: no CUDA device present, skipped (exit 77)\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
