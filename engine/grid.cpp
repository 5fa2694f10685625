// Time grid construction; see engine/grid.h.
#include "engine/grid.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "kernels/math/errors.h"

namespace df {

double GSchedule::operator()(double time) const {
  if (t.size() == 1) return g[0];
  if (time <= t.front()) return g.front();
  if (time >= t.back()) return g.back();
  auto it = std::upper_bound(t.begin(), t.end(), time);
  std::size_t i = std::size_t(it - t.begin()) - 1;
  double w = (time - t[i]) / (t[i + 1] - t[i]);
  return g[i] + w * (g[i + 1] - g[i]);
}

std::string GSchedule::str() const {
  if (g.size() == 1) return std::to_string(g[0]);
  std::ostringstream os;
  for (std::size_t i = 0; i < g.size(); ++i) os << (i ? "," : "") << g[i];
  return os.str();
}

int GridSpec::steps_at(std::int64_t iteration) const {
  int n = N;
  if (progressive.empty()) return n;
  n = progressive.front().second;
  for (auto& pr : progressive)
    if (iteration >= pr.first) n = pr.second;
  return n;
}

TimeGrid make_grid(const GridSpec& spec, const GSchedule& gs, int N, const NoiseKey* key) {
  if (N < 1) throw InputError("time grid: N must be >= 1 (got " + std::to_string(N) + ")");
  if (!(spec.t_end > spec.t_start) || spec.t_start < 0)
    throw InputError("time grid: need 0 <= t_start < t_end");
  const bool expo = spec.kind == GridKind::Exponent;
  double p = expo ? spec.p : 1.0;
  if (!(p > 0)) throw InputError("time grid: exponent p must be > 0");
  double a = std::pow(spec.t_start, p), b = std::pow(spec.t_end, p);
  TimeGrid g;
  g.t.resize(N + 1);
  for (int i = 0; i <= N; ++i) {
    double u = double(i) / N;
    if (spec.randomize && key && i > 0 && i < N) {
      // uniform inside cell i of the N-cell warped grid, shifted by half a cell so the interior
      // points stay ordered and away from the ends
      double lo = (i - 0.5) / N, hi = (i + 0.5) / N;
      u = lo + (hi - lo) * uniform_at(*key, kStreamGrid, 0, std::uint32_t(i), 0);
    }
    g.t[i] = std::pow(a + (b - a) * u, 1.0 / p);
  }
  g.t[0] = spec.t_start;
  g.t[N] = spec.t_end;
  g.g.resize(N + 1);
  for (int i = 0; i <= N; ++i) {
    g.g[i] = gs(g.t[i]);
    if (!(g.g[i] > 0)) throw InputError("diffusion coefficient g must be > 0 on the grid");
  }
  return g;
}

std::vector<std::pair<int, int>> parse_progressive(const std::string& text) {
  std::vector<std::pair<int, int>> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto c = item.find(':');
    try {
      if (c == std::string::npos) throw 0;
      std::size_t used = 0;
      int n = std::stoi(item.substr(0, c), &used);
      if (used != c) throw 0;
      int it = std::stoi(item.substr(c + 1), &used);
      if (used != item.size() - c - 1 || n < 1 || it < 0) throw 0;
      out.push_back({it, n});
    } catch (...) {
      throw InputError("progressive schedule: '" + item + "' is not N:iteration (e.g. 5:0,10:500)");
    }
  }
  std::sort(out.begin(), out.end());
  if (out.empty()) throw InputError("progressive schedule: empty");
  return out;
}

}  // namespace df
