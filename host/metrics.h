// Sample-quality metrics of DATA.md §3. All are deterministic functions of their inputs.
//
//   sliced_w2(X, Y, L)    SW₂ = sqrt( (1/L) Σ_l (1/n) Σ_i (sort(u_l·X)_i − sort(u_l·Y)_i)² ),
//                         X, Y n×d with equal n. d = 2: u_l = (cos θ_l, sin θ_l), θ_l = π l / L,
//                         l = 0..L−1. d = 1: the identity, SW₂ = W₂. d > 2: L pseudo-random unit
//                         directions, normalized N(0, I) draws from std::mt19937_64 seeded with
//                         0x5eed5173 + d (own Box–Muller), fixed for a given (L, d).
//                         Non-finite inputs give +inf.
//   leakage(name, S)      fraction of the rows of S (raw coordinates) where the true density of
//                         data set `name` is 0 (in_support false; non-finite rows count as leaked).
//                         Sets without a hard support give 0.
//   grid_tv(A, B, bins)   total variation ½ Σ |p_k − q_k| between the histograms of A and B (both
//                         n×2, any row counts) on a bins×bins grid over the joint bounding box of
//                         the finite rows of both sets (the upper edge belongs to the last bin).
//                         Rows with a non-finite coordinate go to one extra shared "outside" cell.
//                         In [0, 1]: 0 for identical sets, 1 for sets in disjoint cells.
//   energy_distance(X, Y) D² = 2 E|X − Y| − E|X − X'| − E|Y − Y'| (Székely; V-statistics, so ≥ 0
//                         and exactly 0 for identical sets), on at most max_points evenly strided
//                         rows of each set. X, Y n×d and m×d, same d. Non-finite inputs give +inf.
// Shape errors (empty sets, mismatched rows/columns, bins or angles < 1) throw InputError.
#pragma once
#include <cstddef>
#include <string>

#include "host/matrix.h"

namespace df {

double sliced_w2(const Matrix& X, const Matrix& Y, int n_angles = 64);

double leakage(const std::string& name, const Matrix& samples_raw);

double grid_tv(const Matrix& A, const Matrix& B, int bins = 64);

double energy_distance(const Matrix& X, const Matrix& Y, std::size_t max_points = 2000);

}  // namespace df
