// A read-only view of n points × d dimensions held in someone else's memory: float32 or float64,
// any strides in bytes (C order, Fortran order, a slice), so the Python module reads NumPy arrays
// where they lie. A Matrix (host/matrix.h) is one case of it (float64, row-major). Elements are
// read with memcpy, so an unaligned buffer is fine; the memory must outlive the view.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>

#include "host/errors.h"
#include "host/matrix.h"

namespace df {

struct PointsView {
  const unsigned char* base = nullptr;
  std::size_t rows = 0, cols = 0;
  std::ptrdiff_t row_stride = 0, col_stride = 0;  // bytes between consecutive rows / columns
  bool f32 = false;                               // float32 elements, else float64

  static PointsView of(const Matrix& m) {
    return {reinterpret_cast<const unsigned char*>(m.data.data()), m.rows, m.cols,
            std::ptrdiff_t(m.cols * sizeof(double)), std::ptrdiff_t(sizeof(double)), false};
  }

  double operator()(std::size_t r, std::size_t c) const {
    const unsigned char* p = base + std::ptrdiff_t(r) * row_stride + std::ptrdiff_t(c) * col_stride;
    if (f32) {
      float v;
      std::memcpy(&v, p, sizeof v);
      return double(v);
    }
    double v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  // Rows first .. first + count − 1 as a Matrix of doubles (a copy).
  Matrix rows_matrix(std::size_t first, std::size_t count) const {
    Matrix m(count, cols);
    for (std::size_t r = 0; r < count; ++r)
      for (std::size_t c = 0; c < cols; ++c) m(r, c) = (*this)(first + r, c);
    return m;
  }
  Matrix matrix() const { return rows_matrix(0, rows); }
};

// InputError "<label>: element [r, c] is NaN|infinite" at the first non-finite element (the
// wording of read_matrix, host/io.h).
inline void require_finite(const PointsView& v, const std::string& label) {
  for (std::size_t r = 0; r < v.rows; ++r)
    for (std::size_t c = 0; c < v.cols; ++c) {
      const double x = v(r, c);
      if (!std::isfinite(x))
        throw InputError(label + ": element [" + std::to_string(r) + ", " + std::to_string(c) + "] is " +
                         (std::isnan(x) ? "NaN" : "infinite"));
    }
}

}  // namespace df
