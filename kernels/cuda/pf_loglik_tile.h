// The probability-flow log-likelihood (MATH.md §8) as a fused kernel body over the Exec
// interface: a block carries a tile of TB samples through the RK4 steps of the ODE
//   dx/dt = v(x, t) = f(x, t) − ½ g(t)² s(x, t),   log p(x_0) = log N(x(t_N); 0, I) + ∫ tr ∂v/∂x dt
// with the networks, their forward-mode tangents (the trace) and the RK4 combination on chip.
// The same integration as engine/likelihood.h pf_ode_loglik (which runs in double on the CPU):
// `substeps` RK4 steps per grid cell, evaluation e = 4·(step) + stage, exact trace by d unit
// tangents when d ≤ exact_max_d, else Hutchinson with Rademacher probes from
// uniform_at(key', kStreamProbe, e·64 + p, b − c0, k), where the CPU backend's 256-sample chunks
// (engine/cpu_parallel.h) set c0 = 256·⌊b/256⌋ and key'.seed = key.seed + c0 — so both backends
// draw the same probes. Everything here is fp32 (the matrix-operand precision flag does not
// apply: a likelihood is an evaluation, and its tangents must match its forward pass).
//   mlp_jvp_tile      dy (d×TB) = (∂y/∂x) u for the tangent u (d×TB), from the forward cache (=)
//   pf_loglik_tile    logp[b] (=) for every sample; x is read only. With fscale/sscale set
//                     (DDPM) the drift is fscale·x and the score sscale·ε_θ: no drift network
// Its own loops (mlp_jvp_tile, the RK4 combination) access memory directly, so the emulator's
// cost model counts only its network forwards (mlp_forward_tile).
// Shared memory: TileLayout (sweep_args.h) of the same shape, reused as
//   x → x, xn → the RK4 stage input, F, Sn → S, v → v, lam → Σ w·k, w → the tangent u,
//   jf, js → the tangent outputs, dh, dz → tangent scratch, loss → ℓ, rcur → Σ w·tr,
//   rprev → tr of the stage.
#pragma once
#include "kernels/cuda/fused_sweeps.h"
#include "kernels/cuda/mlp_tile.h"

namespace df {

// Per-evaluation constants, E = 4·substeps·N evaluations, from pf_consts (host).
struct PfArgs {
  NetView f, s;
  const float* ef = nullptr;   // e_f(t_e), [E][W]
  const float* es = nullptr;   // e_s(t_e), [E][W]
  const float* gsq = nullptr;  // g(t_e)², [E]
  const float* h = nullptr;    // RK4 step of each step, [E/4]
  int steps = 0;               // E / 4
  int B = 0, TB = 8;
  const float* x = nullptr;    // x_0, d×B sample-major
  float* logp = nullptr;       // B (=)
  int exact_max_d = 16, probes = 1;
  NoiseKey probe_key;
  // DDPM (both set, [E]): f = fscale·x (no drift network), s = sscale·ε_θ; null for DiffFlow
  const float* fscale = nullptr;
  const float* sscale = nullptr;
};

template <class Exec>
DF_HD void mlp_jvp_tile(Exec& ex, const NetView& n, MlpCacheView c, const float* u, int nb, int ts, float* ta,
                        float* tb, float* dy) {
  const int W = n.W, d = n.d, L = n.L, tid = ex.tid(), nt = ex.nthreads();
  const float* Win = n.p + n.inw;
  for (int idx = tid; idx < W * nb; idx += nt) {
    const int o = idx / nb, b = idx % nb;
    float s = 0.f;
    for (int k = 0; k < d; ++k) s = ex.fma(s, Win[o * d + k], u[k * ts + b]);
    ta[o * ts + b] = gelu_backward(c.z[o * ts + b]) * s;
  }
  ex.sync();
  for (int l = 0; l < L; ++l) {
    const float* Wl = n.p + n.hw(l);
    const float* zl = c.z + size_t(l + 1) * W * ts;
    for (int idx = tid; idx < W * nb; idx += nt) {
      const int o = idx / nb, b = idx % nb;
      float s = 0.f;
      for (int i = 0; i < W; ++i) s = ex.fma(s, Wl[o * W + i], ta[i * ts + b]);
      tb[o * ts + b] = gelu_backward(zl[o * ts + b]) * s;
    }
    ex.sync();
    float* t = ta; ta = tb; tb = t;
  }
  const float* Wo = n.p + n.outw;
  for (int idx = tid; idx < d * nb; idx += nt) {
    const int k = idx / nb, b = idx % nb;
    float s = 0.f;
    for (int i = 0; i < W; ++i) s = ex.fma(s, Wo[k * W + i], ta[i * ts + b]);
    dy[k * ts + b] = s;
  }
  ex.sync();
}

// v = f − ½g² s at xin for evaluation e, and tr[b] = tr ∂v/∂x (exact or Hutchinson).
template <class Exec>
DF_HD void pf_eval_tile(Exec& ex, const PfArgs& a, const TileLayout& T, float* sm, int b0, int nb, int e,
                        const float* xin) {
  const int d = a.f.d, W = a.f.W, ts = T.ts, tid = ex.tid(), nt = ex.nthreads();
  float *F = sm + T.F, *S = sm + T.Sn, *v = sm + T.v, *u = sm + T.w, *jf = sm + T.jf, *js = sm + T.js;
  float *tr = sm + T.rprev, *ta = sm + T.dh, *tb = sm + T.dz;
  const float gsq = a.gsq[e], half = 0.5f * gsq;
  const bool ddpm = a.fscale != nullptr;
  const float fs = ddpm ? a.fscale[e] : 0.f, ss = ddpm ? a.sscale[e] : 1.f;
  if (!ddpm) mlp_forward_tile<Exec, 4>(ex, a.f, a.ef + size_t(e) * W, xin, nb, ts, cache_f(sm, T), F);
  mlp_forward_tile<Exec, 4>(ex, a.s, a.es + size_t(e) * W, xin, nb, ts, cache_s(sm, T), S);
  for (int idx = tid; idx < d * nb; idx += nt) {
    const int i = (idx / nb) * ts + idx % nb;
    if (ddpm) {
      F[i] = fs * xin[i];
      S[i] = ss * S[i];
    }
    v[i] = F[i] - half * S[i];
  }
  for (int b = tid; b < nb; b += nt) tr[b] = 0.f;
  ex.sync();
  const bool exact = d <= a.exact_max_d;
  const int passes = exact ? d : a.probes;
  for (int p = 0; p < passes; ++p) {
    for (int idx = tid; idx < d * nb; idx += nt) {
      const int k = idx / nb, b = idx % nb;
      float uv;
      if (exact) {
        uv = k == p ? 1.f : 0.f;
      } else {
        const int gb = b0 + b, c0 = gb / 256 * 256;
        NoiseKey key = a.probe_key;
        key.seed += uint64_t(c0);
        uv = uniform_at(key, kStreamProbe, uint32_t(e) * 64u + uint32_t(p), uint32_t(gb - c0), uint32_t(k)) < 0.5 ? 1.f
                                                                                                               : -1.f;
      }
      u[k * ts + b] = uv;
    }
    ex.sync();
    if (ddpm) {  // J_f u = fs·u
      for (int idx = tid; idx < d * nb; idx += nt) {
        const int i = (idx / nb) * ts + idx % nb;
        jf[i] = fs * u[i];
      }
    } else {
      mlp_jvp_tile(ex, a.f, cache_f(sm, T), u, nb, ts, ta, tb, jf);
    }
    mlp_jvp_tile(ex, a.s, cache_s(sm, T), u, nb, ts, ta, tb, js);
    const float hs = half * ss;  // J_v u = J_f u − ½g²·ss·J_ε u
    for (int b = tid; b < nb; b += nt) {
      if (exact) {
        tr[b] += jf[p * ts + b] - hs * js[p * ts + b];
      } else {
        float s = 0.f;
        for (int k = 0; k < d; ++k) s += u[k * ts + b] * (jf[k * ts + b] - hs * js[k * ts + b]);
        tr[b] += s / float(a.probes);
      }
    }
    ex.sync();
  }
}

template <class Exec> DF_HD void pf_loglik_tile(Exec& ex, const PfArgs& a) {
  const int d = a.f.d, TB = a.TB, tid = ex.tid(), nt = ex.nthreads();
  float* sm = ex.template shared<float>();
  const TileLayout T = tile_layout(d, a.f.W, a.f.L, TB, MatPrecision::FP32, 2);  // a cache set per network
  const int ts = T.ts;
  float *x = sm + T.x, *xt = sm + T.xn, *v = sm + T.v, *kacc = sm + T.lam;
  float *ell = sm + T.loss, *tacc = sm + T.rcur, *tr = sm + T.rprev;
  const int ntiles = (a.B + TB - 1) / TB;
  for (int tile = ex.bid(); tile < ntiles; tile += ex.nblocks()) {
    const int b0 = tile * TB, nb = a.B - b0 < TB ? a.B - b0 : TB;
    for (int idx = tid; idx < d * nb; idx += nt) {
      const int k = idx / nb, b = idx % nb;
      x[k * ts + b] = a.x[size_t(b0 + b) * d + k];
    }
    for (int b = tid; b < nb; b += nt) ell[b] = 0.f;
    ex.sync();
    for (int st = 0; st < a.steps; ++st) {
      const float h = a.h[st];
      for (int q = 0; q < 4; ++q) {
        pf_eval_tile(ex, a, T, sm, b0, nb, 4 * st + q, q == 0 ? x : xt);
        const float wq = q == 0 || q == 3 ? 1.f : 2.f, hq = q == 2 ? h : 0.5f * h;
        for (int idx = tid; idx < d * nb; idx += nt) {
          const int i = (idx / nb) * ts + idx % nb;
          kacc[i] = q == 0 ? v[i] : kacc[i] + wq * v[i];
          if (q < 3) xt[i] = x[i] + hq * v[i];
        }
        for (int b = tid; b < nb; b += nt) tacc[b] = q == 0 ? tr[b] : tacc[b] + wq * tr[b];
        ex.sync();
      }
      for (int idx = tid; idx < d * nb; idx += nt) {
        const int i = (idx / nb) * ts + idx % nb;
        x[i] += (h / 6.f) * kacc[i];
      }
      for (int b = tid; b < nb; b += nt) ell[b] += (h / 6.f) * tacc[b];
      ex.sync();
    }
    for (int b = tid; b < nb; b += nt) {
      float sq = 0.f;
      for (int k = 0; k < d; ++k) sq += x[k * ts + b] * x[k * ts + b];
      a.logp[b0 + b] = -0.5f * sq - 0.5f * float(d) * 1.8378770664093453f + ell[b];  // log 2π
    }
    ex.sync();
    ex.tile_done();
  }
}

}  // namespace df

// The constants of one pf_loglik launch, built on the host by engine/device_consts.h pf_consts:
// evaluation times, g² and steps of the RK4 integration in pf_ode_loglik's order (for cell i and
// substep m, t = t_i + m·h, stages at t, t + h/2, t + h/2, t + h); DDPM adds its drift and score
// factors at every evaluation time.
#include <vector>

namespace df {

struct PfConsts {
  std::vector<float> t, gsq, h;       // [E], [E], [E/4]
  std::vector<float> fscale, sscale;  // DDPM only, [E]
};

}  // namespace df
