// Optimizer and reduction bodies over flat parameter buffers, on the Exec interface
// (GpuExec on the device, EmuExec on the CPU). Grid-stride loops: any grid works.
//   ema_body       e = decay·e + (1 − decay)·p (ema_element)                                (=)
//   sq_norm_body   part[bid] = Σ g² over this block's share, in double (=); the host (or a
//                  second pass) sums part[0..nblocks) in order. Block reduction: warp butterflies
//                  with shfl_xor, then one value per warp through shared memory (nthreads
//                  doubles of shared memory).
//   sq_norm2_body  both networks' partials in one launch (sq_norm_body's, block by block)
//   optim_body     Adam on p, m, v of up to two networks (kernels/math/adam.h adam_element), each
//                  element's EMA right after its step where an EMA is given, one launch   (=)
//   clip_body      the two networks' squared norms from their partials (summed in block order, as
//                  the host sums them) and their clip scales (clip_scale), for optim_body's
//                  scale_at: one thread, so that a training iteration needs no host round trip
#pragma once
#include <stddef.h>

#include "kernels/math/adam.h"
#include "kernels/math/df_hd.h"

namespace df {

struct AdamArgs {
  float *p = nullptr, *m = nullptr, *v = nullptr;
  const float* g = nullptr;
  size_t n = 0;
  float scale = 1.f, lr = 0.f, beta1 = 0.f, beta2 = 0.f, eps = 0.f, bc1 = 1.f, bc2 = 1.f;
  const float* scale_at = nullptr;  // when set, the scale is *scale_at (clip_body's, on the device)
};

template <class Exec> DF_HD void ema_body(Exec& ex, float* e, const float* p, size_t n, float decay) {
  const size_t step = size_t(ex.nthreads()) * ex.nblocks();
  for (size_t i = size_t(ex.bid()) * ex.nthreads() + ex.tid(); i < n; i += step) {
    float ei = ex.ld(e, i);
    ema_element(&ei, ex.ld(p, i), decay);
    ex.st(e, i, ei);
  }
}

// Σ over the block of one double per thread; the result is valid in thread 0. scratch: nthreads
// doubles of shared memory. Whole warps reduce by shfl_xor butterflies (one value per warp through
// scratch); a block that is not a whole number of warps goes through scratch element by element.
template <class Exec> DF_HD double block_sum(Exec& ex, double v, double* scratch) {
  const int tid = ex.tid(), nt = ex.nthreads();
  int nvals = nt;
  if (nt % 32 == 0) {
    for (int m = 16; m >= 1; m /= 2) v += ex.shfl_xor(v, m);
    if (tid % 32 == 0) ex.st(scratch, tid / 32, v);
    nvals = nt / 32;
  } else {
    ex.st(scratch, tid, v);
  }
  ex.sync();
  double s = 0.0;
  if (tid == 0)
    for (int w = 0; w < nvals; ++w) s += ex.ld(scratch, w);
  ex.sync();
  return s;
}

// Σ g² over the share of block b of nblk (grid-stride over nblk blocks), in double; valid in
// thread 0.
template <class Exec> DF_HD double sq_norm_block(Exec& ex, const float* g, size_t n, int b, int nblk) {
  const size_t step = size_t(ex.nthreads()) * size_t(nblk);
  double s = 0.0;
  for (size_t i = size_t(b) * ex.nthreads() + ex.tid(); i < n; i += step) {
    const float gi = ex.ld(g, i);
    s += double(gi) * gi;
  }
  return block_sum(ex, s, ex.template shared<double>());
}

template <class Exec> DF_HD void sq_norm_body(Exec& ex, double* part, const float* g, size_t n) {
  const double s = sq_norm_block(ex, g, n, ex.bid(), ex.nblocks());
  if (ex.tid() == 0) ex.st(part, ex.bid(), s);
}

// Both networks' partials in one launch of 2·nblk blocks: blocks [0, nblk) take g[0], the others
// g[1], each as sq_norm_body's launch of nblk blocks would (the same partials, the same bits),
// into part[0, nblk) and part[nblk, 2·nblk).
struct SqNorm2Args {
  double* part = nullptr;
  const float* g[2] = {nullptr, nullptr};
  size_t n = 0;
  int nblk = 1;
};
template <class Exec> DF_HD void sq_norm2_body(Exec& ex, const SqNorm2Args& a) {
  const int k = ex.bid() >= a.nblk ? 1 : 0;
  const double s = sq_norm_block(ex, a.g[k], a.n, ex.bid() - k * a.nblk, a.nblk);
  if (ex.tid() == 0) ex.st(a.part, ex.bid(), s);
}

// Adam of up to two networks in one launch (a network of n = 0 has no elements): element i of
// network k gets adam_element, then ema_element on the updated p where ema[k] is set (the bits of
// an EMA launch after the Adam one).
struct OptimArgs {
  AdamArgs net[2];
  float* ema[2] = {nullptr, nullptr};
  float decay = 0.f;
};
template <class Exec> DF_HD void optim_body(Exec& ex, const OptimArgs& a) {
  const size_t n0 = a.net[0].n, n = n0 + a.net[1].n, step = size_t(ex.nthreads()) * ex.nblocks();
  const AdamArgs &h0 = a.net[0], &h1 = a.net[1];  // selected, not indexed: no copy of the arguments
  const float s0 = h0.scale_at ? ex.ld(h0.scale_at, 0) : h0.scale, s1 = h1.scale_at ? ex.ld(h1.scale_at, 0) : h1.scale;
  for (size_t q = size_t(ex.bid()) * ex.nthreads() + ex.tid(); q < n; q += step) {
    const bool second = q >= n0;
    const size_t i = second ? q - n0 : q;
    const AdamArgs& h = second ? h1 : h0;
    float* ema = second ? a.ema[1] : a.ema[0];
    float p = ex.ld(h.p, i), m = ex.ld(h.m, i), v = ex.ld(h.v, i);
    adam_element(&p, &m, &v, ex.ld(h.g, i), second ? s1 : s0, h.lr, h.beta1, h.beta2, h.eps, h.bc1, h.bc2);
    ex.st(h.p, i, p);
    ex.st(h.m, i, m);
    ex.st(h.v, i, v);
    if (ema) {
      float e = ex.ld(ema, i);
      ema_element(&e, p, a.decay);
      ex.st(ema, i, e);
    }
  }
}

struct ClipArgs {
  const double* part = nullptr;  // SqNorm2K's partials: nparts of each network, one after the other
  int nparts = 0;
  double clip = 0;
  double* sq = nullptr;     // out: Σ g² of both
  float* scale = nullptr;   // out: their clip scales
};

template <class Exec> DF_HD void clip_body(Exec& ex, const ClipArgs& a) {
  if (ex.bid() != 0 || ex.tid() != 0) return;
  for (int k = 0; k < 2; ++k) {
    double s = 0.0;
    for (int i = 0; i < a.nparts; ++i) s += ex.ld(a.part, size_t(k) * a.nparts + i);
    ex.st(a.sq, k, s);
    ex.st(a.scale, k, clip_scale(a.clip, s));
  }
}

}  // namespace df
