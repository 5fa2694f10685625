// A plain row-major matrix of doubles: the host layer's exchange type for data sets, samples and
// files (rows = points, cols = dimensions). The engine works on Eigen matrices; conversion lives
// in host/convert.h.
#pragma once
#include <cstddef>
#include <vector>

namespace df {

struct Matrix {
  std::size_t rows = 0, cols = 0;
  std::vector<double> data;  // rows * cols, row-major

  Matrix() = default;
  Matrix(std::size_t r, std::size_t c) : rows(r), cols(c), data(r * c, 0.0) {}
  double& operator()(std::size_t r, std::size_t c) { return data[r * cols + c]; }
  double operator()(std::size_t r, std::size_t c) const { return data[r * cols + c]; }
  const double* row(std::size_t r) const { return data.data() + r * cols; }
  double* row(std::size_t r) { return data.data() + r * cols; }
};

}  // namespace df
