// The divergence guard; see host/divergence.h.
#include "host/divergence.h"

#include <cmath>
#include <cstdio>

#include "host/train_log.h"

namespace df {

DivergenceGuard::DivergenceGuard(double factor, const std::vector<double>& history) : factor_(factor) {
  for (double v : history) add(v);
}

void DivergenceGuard::add(double loss) {
  if (!std::isfinite(loss)) return;
  window_.push_back(loss);
  if (window_.size() > kWindow) window_.pop_front();
}

std::string DivergenceGuard::check(double loss) const {
  if (!std::isfinite(loss)) return "the loss is not finite";
  if (factor_ <= 0 || window_.size() < kMinHistory) return "";
  const std::vector<double> w(window_.begin(), window_.end());
  const double q10 = quantile(w, 0.1), q50 = quantile(w, 0.5), q90 = quantile(w, 0.9);
  const double spread = std::max(q90 - q10, 0.01 * (std::fabs(q50) + 1));
  const double limit = q90 + factor_ * spread;
  if (!(loss > limit)) return "";
  char buf[200];
  std::snprintf(buf, sizeof buf, "the loss %.4g exploded: above %.4g, %g spreads (%.3g) over the last %zu losses' 90%% quantile %.4g",
                loss, limit, factor_, spread, w.size(), q90);
  return buf;
}

}  // namespace df
