// The divergence guard of the training loop: a loss that explodes, judged against the run's own
// recent history (the last kWindow losses, read back from the checkpoint's log rows on resume):
//   diverged  when  loss > q90 + factor * spread,   spread = max(q90 - q10, 0.01 * (|q50| + 1))
// with q10, q50, q90 the quantiles of the window; the floor of the spread keeps a short or flat
// history from making the guard touchy. Measured (small CPU runs of all three models, lr 0.01 and
// 0.05): ordinary training stayed within about 10 spreads, the first iterations included; with lr 10
// and no clipping the loss left it by 1e16 spreads at its second iteration. So the default factor
// 100 stops an explosion at once and leaves a tenfold margin. The guard judges from the second
// iteration on (kMinHistory); with factor 0 only a non-finite loss stops the run.
#pragma once
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace df {

class DivergenceGuard {
 public:
  static constexpr std::size_t kWindow = 100, kMinHistory = 1;
  // factor 0 turns the guard off; `history`: the run's losses so far, oldest first.
  DivergenceGuard(double factor, const std::vector<double>& history);
  // Why `loss` counts as diverged ("" when it does not). Non-finite losses always do.
  std::string check(double loss) const;
  void add(double loss);

 private:
  double factor_;
  std::deque<double> window_;
};

}  // namespace df
