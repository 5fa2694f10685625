// The matrix products of the CPU network passes, register-blocked over SIMD vectors
// (kernels/cpu/simd.h). Matrices of activations are column-major with one column per sample
// (M×n, leading dimension ld ≥ M); weights come packed by kernels/cpu/mlp_weights.h.
//   gemm_kmajor    C = A·B with A given k-major (a[k·lda + m], lda ≥ M rounded up to a whole
//                  vector, the padding readable), B K×n; then epi(r0, rows, j0, cols) on each
//                  finished tile of C while it is in L1                                    (=)
//   gemm_dot       C = A·B with A row-major (a[m·lda + k]), for M below one vector (the d-wide
//                  output layer, dx at small d): one dot product per element              (=)
//   gemm_acc_nt    R += U·Vᵀ over the samples b < n, R P×Q row-major, U P×n, V Q×n
//                  (the weight gradients)                                                  (+=)
//   rowsum_acc     out += Σ_b Z[:, b] (the bias gradients)                                 (+=)
// Each output element is accumulated in one lane in k (or b) order, so the bits do not depend
// on the vector width or on the blocking; gemm_dot's lane sums do depend on the width.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

#include "kernels/cpu/simd.h"

namespace df {

// Register tile: kMR vectors of rows × kNR columns of accumulators.
#ifndef DF_GEMM_MR
#define DF_GEMM_MR (kVecBytes == 64 ? 4 : 2)
#define DF_GEMM_NR (kVecBytes == 64 ? 6 : 4)
#endif
constexpr int kMR = DF_GEMM_MR;
constexpr int kNR = DF_GEMM_NR;
constexpr int kBBlock = 64;  // samples per L1 block of the weight-gradient product

template <class T> constexpr int round_up_lanes(int m) { return (m + kLanes<T> - 1) / kLanes<T> * kLanes<T>; }

// Asks for rows [0, rows) of cols columns (leading dimension ld) ahead of their use, into L2:
// the cached activations of a trajectory come from memory, a line at a time.
template <class T> inline void prefetch_cols(const T* p, std::size_t ld, int cols, int rows) {
  for (int j = 0; j < cols; ++j)
    for (int r = 0; r < rows; r += 64 / int(sizeof(T))) __builtin_prefetch(p + j * ld + r, 0, 2);
}
template <class T> inline void prefetch_cols_for_write(T* p, std::size_t ld, int cols, int rows) {
  for (int j = 0; j < cols; ++j)
    for (int r = 0; r < rows; r += 64 / int(sizeof(T))) __builtin_prefetch(p + j * ld + r, 1, 3);
}

namespace gemm_detail {

template <class T, int MR, int NR>
void kmajor_tile(int K, const T* a, int lda, const T* b, int ldb, T* c, int ldc, int rows) {
  constexpr int L = kLanes<T>;
  Vec<T> acc[MR][NR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) acc[r][j] = zero<T>();
  for (int k = 0; k < K; ++k) {
    Vec<T> av[MR];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) av[r] = load(a + std::size_t(k) * lda + r * L);
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
      const Vec<T> bb = bcast(b[std::size_t(j) * ldb + k]);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r) acc[r][j] = fma(av[r], bb, acc[r][j]);
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < NR; ++j)
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      T* cp = c + std::size_t(j) * ldc + r * L;
      if ((r + 1) * L <= rows) store(cp, acc[r][j]);
      else if (r * L < rows) store_n(cp, acc[r][j], rows - r * L);
    }
}

template <class T> using TileFn = void (*)(int, const T*, int, const T*, int, T*, int, int);

template <class T, int MR, std::size_t... J>
constexpr std::array<TileFn<T>, sizeof...(J)> row_of_tiles(std::index_sequence<J...>) {
  return {&kmajor_tile<T, MR, int(J) + 1>...};
}
template <class T, std::size_t... R>
constexpr std::array<std::array<TileFn<T>, kNR>, sizeof...(R)> tile_table(std::index_sequence<R...>) {
  return {row_of_tiles<T, int(R) + 1>(std::make_index_sequence<kNR>{})...};
}
template <class T> constexpr auto kTiles = tile_table<T>(std::make_index_sequence<kMR>{});

// R[j][q] += Σ_b U[j, b] V[q, b] for NR rows j and MV vectors of q (the last one holding
// nq_last valid lanes when TAIL).
template <class T, int MV, int NR, bool TAIL>
void acc_nt_tile(int nb, const T* U, int ldu, const T* V, int ldv, T* R, int ldr, int nq_last) {
  constexpr int L = kLanes<T>;
  Vec<T> acc[MV][NR];
#pragma GCC unroll 8
  for (int j = 0; j < NR; ++j)
#pragma GCC unroll 8
    for (int r = 0; r < MV; ++r)
      acc[r][j] = (TAIL && r == MV - 1) ? load_n(R + std::size_t(j) * ldr + r * L, nq_last)
                                        : load(R + std::size_t(j) * ldr + r * L);
  for (int b = 0; b < nb; ++b) {
    Vec<T> vv[MV];
    const T* vb = V + std::size_t(b) * ldv;
#pragma GCC unroll 8
    for (int r = 0; r < MV; ++r) vv[r] = (TAIL && r == MV - 1) ? load_n(vb + r * L, nq_last) : load(vb + r * L);
    const T* ub = U + std::size_t(b) * ldu;
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
      const Vec<T> uu = bcast(ub[j]);
#pragma GCC unroll 8
      for (int r = 0; r < MV; ++r) acc[r][j] = fma(vv[r], uu, acc[r][j]);
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < NR; ++j)
#pragma GCC unroll 8
    for (int r = 0; r < MV; ++r) {
      T* rp = R + std::size_t(j) * ldr + r * L;
      if (TAIL && r == MV - 1) store_n(rp, acc[r][j], nq_last);
      else store(rp, acc[r][j]);
    }
}

// The last rows (fewer than kNR) as one tile.
template <class T, int MV, bool TAIL, std::size_t... J>
void acc_nt_rest(int rows, int nb, const T* U, int ldu, const T* V, int ldv, T* R, int ldr, int nq_last,
                 std::index_sequence<J...>) {
  ((rows == int(J) + 1 ? acc_nt_tile<T, MV, int(J) + 1, TAIL>(nb, U, ldu, V, ldv, R, ldr, nq_last) : void()), ...);
}

// All P rows of R for one panel of MV vectors of q.
template <class T, int MV, bool TAIL>
void acc_nt_panel(int P, int nb, const T* U, int ldu, const T* V, int ldv, T* R, int ldr, int nq_last) {
  int p0 = 0;
  for (; p0 + kNR <= P; p0 += kNR)
    acc_nt_tile<T, MV, kNR, TAIL>(nb, U + p0, ldu, V, ldv, R + std::size_t(p0) * ldr, ldr, nq_last);
  if (p0 < P) acc_nt_rest<T, MV, TAIL>(P - p0, nb, U + p0, ldu, V, ldv, R + std::size_t(p0) * ldr, ldr, nq_last,
                                        std::make_index_sequence<kNR - 1>{});
}

template <class T, bool TAIL, std::size_t... I>
void acc_nt_dispatch(int mv, int P, int nb, const T* U, int ldu, const T* V, int ldv, T* R, int ldr, int nq_last,
                     std::index_sequence<I...>) {
  ((mv == int(I) + 1 ? acc_nt_panel<T, int(I) + 1, TAIL>(P, nb, U, ldu, V, ldv, R, ldr, nq_last) : void()), ...);
}

}  // namespace gemm_detail

struct NoEpilogue {
  void operator()(int, int, int, int) const {}
};

template <class T, class Epi = NoEpilogue>
void gemm_kmajor(int M, int n, int K, const T* a, int lda, const T* b, int ldb, T* c, int ldc, Epi&& epi = {}) {
  constexpr int L = kLanes<T>, P = kMR * L;
  for (int r0 = 0; r0 < M; r0 += P) {
    const int rows = std::min(P, M - r0), mr = (rows + L - 1) / L;
    for (int j0 = 0; j0 < n; j0 += kNR) {
      const int cols = std::min(kNR, n - j0);
      gemm_detail::kTiles<T>[std::size_t(mr - 1)][std::size_t(cols - 1)](
          K, a + r0, lda, b + std::size_t(j0) * ldb, ldb, c + std::size_t(j0) * ldc + r0, ldc, rows);
      epi(r0, rows, j0, cols);
    }
  }
}

template <class T>
void gemm_dot(int M, int n, int K, const T* a, int lda, const T* b, int ldb, T* c, int ldc) {
  constexpr int L = kLanes<T>;
  const int kv = K / L * L;
  for (int j = 0; j < n; ++j) {
    const T* bj = b + std::size_t(j) * ldb;
    for (int m = 0; m < M; ++m) {
      const T* am = a + std::size_t(m) * lda;
      Vec<T> acc = zero<T>();
      for (int k = 0; k < kv; k += L) acc = fma(load(am + k), load(bj + k), acc);
      if (kv < K) acc = fma(load_n(am + kv, K - kv), load_n(bj + kv, K - kv), acc);
      c[std::size_t(j) * ldc + m] = hsum(acc);
    }
  }
}

template <class T>
void gemm_acc_nt(int P, int Q, int n, const T* U, int ldu, const T* V, int ldv, T* R, int ldr) {
  constexpr int L = kLanes<T>, QP = kMR * L;
  for (int q0 = 0; q0 < Q; q0 += QP) {
    const int nq = std::min(QP, Q - q0);
    for (int b0 = 0; b0 < n; b0 += kBBlock) {
      const int nb = std::min(kBBlock, n - b0);
      const T* Ub = U + std::size_t(b0) * ldu;
      const T* Vb = V + std::size_t(b0) * ldv + q0;
      if (b0 + kBBlock < n) prefetch_cols(Vb + std::size_t(kBBlock) * ldv, ldv, std::min(kBBlock, n - b0 - kBBlock), nq);
      const int mv = (nq + L - 1) / L, last = nq - (mv - 1) * L;
      if (last == L)
        gemm_detail::acc_nt_dispatch<T, false>(mv, P, nb, Ub, ldu, Vb, ldv, R + q0, ldr, L,
                                                std::make_index_sequence<kMR>{});
      else
        gemm_detail::acc_nt_dispatch<T, true>(mv, P, nb, Ub, ldu, Vb, ldv, R + q0, ldr, last,
                                               std::make_index_sequence<kMR>{});
    }
  }
}

template <class T> void rowsum_acc(T* out, int M, int n, const T* Z, int ldz) {
  constexpr int L = kLanes<T>;
  for (int r = 0; r < M; r += L) {
    const int w = std::min(L, M - r);
    if (w == L) {
      Vec<T> acc = load(out + r);
      for (int j = 0; j < n; ++j) acc = acc + load(Z + std::size_t(j) * ldz + r);
      store(out + r, acc);
    } else {
      Vec<T> acc = load_n(out + r, w);
      for (int j = 0; j < n; ++j) acc = acc + load_n(Z + std::size_t(j) * ldz + r, w);
      store_n(out + r, acc, w);
    }
  }
}

}  // namespace df
