// Network shape and the flat parameter layout of one Fourier MLP (MATH.md §7), the one place that
// knows the order of the flat buffer. One network = one contiguous buffer of n_params() scalars,
// in this order (matrices row-major, [out][in]):
//   phi    [W]          learned phase of the Fourier time features
//   t1.w   [W][2W]      time embedding layer 1 (input [sin a, cos a]), t1.b [W]
//   t2.w   [W][W]       time embedding layer 2, t2.b [W]
//   in.w   [W][d]       input layer, in.b [W]
//   h[l].w [W][W], h[l].b [W]   hidden layers l = 0..L-1
//   out.w  [d][W]       output layer, out.b [d]
// W = 128, L = 3, d = 2 gives 99,714 parameters (MATH.md §7). Parameter initialization lives in
// engine/params.h.
#pragma once
#include <cstddef>
#include <string>

namespace df {

struct NetShape {
  int d = 2;    // data dimension
  int W = 128;  // width
  int L = 3;    // hidden layers after the first activation

  std::size_t off_phi() const { return 0; }
  std::size_t off_t1w() const { return off_phi() + W; }
  std::size_t off_t1b() const { return off_t1w() + std::size_t(W) * 2 * W; }
  std::size_t off_t2w() const { return off_t1b() + W; }
  std::size_t off_t2b() const { return off_t2w() + std::size_t(W) * W; }
  std::size_t off_inw() const { return off_t2b() + W; }
  std::size_t off_inb() const { return off_inw() + std::size_t(W) * d; }
  std::size_t off_hw(int l) const { return off_inb() + W + std::size_t(l) * (std::size_t(W) * W + W); }
  std::size_t off_hb(int l) const { return off_hw(l) + std::size_t(W) * W; }
  std::size_t off_outw() const { return off_hw(L); }
  std::size_t off_outb() const { return off_outw() + std::size_t(d) * W; }
  std::size_t n_params() const { return off_outb() + d; }

  bool operator==(const NetShape& o) const { return d == o.d && W == o.W && L == o.L; }
  bool operator!=(const NetShape& o) const { return !(*this == o); }
  std::string str() const {
    return "d=" + std::to_string(d) + " W=" + std::to_string(W) + " L=" + std::to_string(L);
  }
};

}  // namespace df
