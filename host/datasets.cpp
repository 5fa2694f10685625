// The 2-D toy data sets of DATA.md §1 (raw coordinates) and their exact densities; see
// datasets.h for the names, parameters and the determinism contract. The generators follow
// FFJORD's toy_data.py and DiffFlow's points_dataset.py; sets built from evenly spaced angles or
// fixed per-component counts are shuffled (Fisher–Yates, own generator) so that any prefix is a
// fair sample. The tree and text raster grids are built once per name and cached.
#include "host/datasets.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <random>

#include "host/errors.h"
#include "host/datasets_raster.h"

namespace df {
namespace {

constexpr double kPi = 3.14159265358979323846;
const double kNegInf = -std::numeric_limits<double>::infinity();

// Deterministic uniform / normal / integer draws on top of std::mt19937_64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  double uniform() { return static_cast<double>(g_() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::size_t below(std::size_t k) {  // [0, k)
    auto v = static_cast<std::size_t>(uniform() * static_cast<double>(k));
    return v < k ? v : k - 1;
  }
  double normal() {  // Box–Muller, both values used
    if (has_spare_) { has_spare_ = false; return spare_; }
    double r = std::sqrt(-2.0 * std::log(1.0 - uniform())), a = 2.0 * kPi * uniform();
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }
 private:
  std::mt19937_64 g_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

enum class Kind { swissroll, circles, rings, moons, gauss8, pinwheel, spirals, checkerboard,
                  olympic, four, carpet, tree, text };
const char* const kNames[] = {"swissroll", "circles", "rings", "moons", "8gaussians", "pinwheel",
                              "2spirals", "checkerboard", "olympic", "four", "carpet", "tree",
                              "text"};

struct Spec {
  Kind kind = Kind::swissroll;
  int level = 3;                 // carpet
  std::string word = "DiffFlow";  // text
};

[[noreturn]] void unknown(const std::string& name) {
  std::string known;
  for (const char* n : kNames) known += std::string(known.empty() ? "" : ", ") + n;
  throw InputError("unknown data set '" + name + "' (known: " + known +
                   "; carpet:L with L = 1..8, text:WORD)");
}

Spec parse(const std::string& name) {
  const auto colon = name.find(':');
  const std::string base = name.substr(0, colon);
  Spec s;
  const auto it = std::find(std::begin(kNames), std::end(kNames), base);
  if (it == std::end(kNames)) unknown(name);
  s.kind = static_cast<Kind>(it - std::begin(kNames));
  if (colon == std::string::npos) return s;
  const std::string arg = name.substr(colon + 1);
  if (s.kind == Kind::carpet) {
    if (arg.size() != 1 || arg[0] < '1' || arg[0] > '8')
      throw InputError("data set '" + name + "': carpet level must be an integer 1..8");
    s.level = arg[0] - '0';
  } else if (s.kind == Kind::text) {
    bool ok = !arg.empty() && arg.size() <= 64;
    for (char c : arg) ok = ok && c >= 32 && c <= 126;
    if (!ok) throw InputError("data set '" + name + "': the word must be 1..64 printable ASCII");
    s.word = arg;
  } else {
    unknown(name);
  }
  return s;
}

// ---- exact densities -------------------------------------------------------
const double kG8Div = 1.414, kG8Sd = 0.5 / 1.414, kR = 0.70710678118654752440;
const double kG8Centres[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1},
                                 {kR, kR}, {kR, -kR}, {-kR, kR}, {-kR, -kR}};

double gauss8_logp(double x, double y) {
  double t[8], m = kNegInf, s = 0.0;
  for (int k = 0; k < 8; ++k) {
    const double dx = x - 4.0 * kG8Centres[k][0] / kG8Div, dy = y - 4.0 * kG8Centres[k][1] / kG8Div;
    t[k] = -(dx * dx + dy * dy) / (2.0 * kG8Sd * kG8Sd);
    m = std::max(m, t[k]);
  }
  for (double v : t) s += std::exp(v - m);
  return m + std::log(s) - std::log(8.0) - std::log(2.0 * kPi * kG8Sd * kG8Sd);
}

// −∫ p log p by the midpoint rule (spectrally accurate for Gaussians at this step).
double gauss8_entropy() {
  static const double h = [] {
    const double lo = -5.5, step = 0.02;
    const int n = 550;
    double acc = 0.0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const double lp = gauss8_logp(lo + (i + 0.5) * step, lo + (j + 0.5) * step);
        acc -= std::exp(lp) * lp;
      }
    return acc * step * step;
  }();
  return h;
}

bool checker_in(double x, double y) {
  const double u = x / 2, v = y / 2;
  if (!(u >= -2 && u < 2 && v >= -2 && v < 2)) return false;
  const long a = static_cast<long>(std::floor(u)), b = static_cast<long>(std::floor(v));
  return (a + b) % 2 == 0;
}

long pow3(int l) { long p = 1; while (l-- > 0) p *= 3; return p; }

bool carpet_in(int level, double x, double y) {
  if (!(x >= 0 && x < 1 && y >= 0 && y < 1)) return false;
  const long p = pow3(level);
  long ix = std::min(static_cast<long>(x * p), p - 1), iy = std::min(static_cast<long>(y * p), p - 1);
  for (int l = 0; l < level; ++l, ix /= 3, iy /= 3)
    if (ix % 3 == 1 && iy % 3 == 1) return false;
  return true;
}

std::shared_ptr<const RasterDensity> grid_for(const Spec& s) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const RasterDensity>> cache;
  const std::string key = s.kind == Kind::tree ? std::string("tree") : "text:" + s.word;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[key];
  if (!slot)
    slot = std::make_shared<const RasterDensity>(s.kind == Kind::tree ? rasterize_tree()
                                                                         : rasterize_text(s.word));
  return slot;
}

bool is_grid(Kind k) { return k == Kind::tree || k == Kind::text; }

// ---- generators -------------------------------------------------------------
double lin(std::size_t i, std::size_t k, double hi, bool endpoint) {  // numpy.linspace(0, hi, k)
  if (endpoint) return k > 1 ? hi * static_cast<double>(i) / static_cast<double>(k - 1) : 0.0;
  return hi * static_cast<double>(i) / static_cast<double>(k);
}

void shuffle_rows(Matrix& m, Rng& rng) {
  for (std::size_t i = m.rows; i > 1; --i) {
    const std::size_t j = rng.below(i);
    std::swap_ranges(m.row(i - 1), m.row(i - 1) + m.cols, m.row(j));
  }
}

void rings_of(Matrix& out, Rng& rng, const double (*c)[2], std::size_t k) {  // olympic, four
  const double sd = 0.01 * std::sqrt(0.2);
  for (std::size_t i = 0; i < out.rows; ++i) {
    const double a = 2.0 * kPi * rng.uniform();
    out(i, 0) = std::cos(a) + sd * rng.normal() + c[i % k][0] / 2;
    out(i, 1) = std::sin(a) + sd * rng.normal() + c[i % k][1] / 2;
  }
  shuffle_rows(out, rng);
}

}  // namespace

std::vector<std::string> dataset_names() { return {std::begin(kNames), std::end(kNames)}; }

bool is_dataset_name(const std::string& name) {
  try { parse(name); return true; } catch (const InputError&) { return false; }
}

std::string canonical_dataset_name(const std::string& name) {
  const Spec s = parse(name);
  const std::string base = kNames[static_cast<int>(s.kind)];
  if (s.kind == Kind::carpet) return base + ":" + std::to_string(s.level);
  if (s.kind == Kind::text) return base + ":" + s.word;
  return base;
}

Matrix sample_dataset(const std::string& name, std::size_t n, std::uint64_t seed) {
  const Spec s = parse(name);
  Matrix out(n, 2);
  Rng rng(seed);
  const std::size_t half = n / 2;
  switch (s.kind) {
    case Kind::swissroll:
      for (std::size_t i = 0; i < n; ++i) {
        const double t = 1.5 * kPi * (1.0 + 2.0 * rng.uniform());
        out(i, 0) = (t * std::cos(t) + rng.normal()) / 5.0;
        out(i, 1) = (t * std::sin(t) + rng.normal()) / 5.0;
      }
      break;
    case Kind::circles:  // sklearn make_circles(factor .5, noise .08), ×3
      for (std::size_t i = 0; i < n; ++i) {
        const bool outer = i < half;
        const double r = outer ? 1.0 : 0.5, a = outer ? lin(i, half, 2 * kPi, false)
                                                      : lin(i - half, n - half, 2 * kPi, false);
        out(i, 0) = 3.0 * (r * std::cos(a) + 0.08 * rng.normal());
        out(i, 1) = 3.0 * (r * std::sin(a) + 0.08 * rng.normal());
      }
      shuffle_rows(out, rng);
      break;
    case Kind::rings: {  // FFJORD: n//4 on radii 1, .75, .5; the rest on .25
      const std::size_t q = n / 4, first[4] = {0, q, 2 * q, 3 * q}, cnt[4] = {q, q, q, n - 3 * q};
      for (int c = 0; c < 4; ++c)
        for (std::size_t k = 0; k < cnt[c]; ++k) {
          const double r = 3.0 * (1.0 - 0.25 * c), a = lin(k, cnt[c], 2 * kPi, false);
          out(first[c] + k, 0) = r * std::cos(a);
          out(first[c] + k, 1) = r * std::sin(a);
        }
      shuffle_rows(out, rng);
      for (double& v : out.data) v += 0.08 * rng.normal();
      break;
    }
    case Kind::moons:  // sklearn make_moons(noise .1), ×2 + (−1, −0.2)
      for (std::size_t i = 0; i < n; ++i) {
        const bool outer = i < half;
        const double a = outer ? lin(i, half, kPi, true) : lin(i - half, n - half, kPi, true);
        const double x = outer ? std::cos(a) : 1.0 - std::cos(a);
        const double y = outer ? std::sin(a) : 1.0 - std::sin(a) - 0.5;
        out(i, 0) = 2.0 * (x + 0.1 * rng.normal()) - 1.0;
        out(i, 1) = 2.0 * (y + 0.1 * rng.normal()) - 0.2;
      }
      shuffle_rows(out, rng);
      break;
    case Kind::gauss8:
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t k = rng.below(8);
        out(i, 0) = (4.0 * kG8Centres[k][0] + 0.5 * rng.normal()) / kG8Div;
        out(i, 1) = (4.0 * kG8Centres[k][1] + 0.5 * rng.normal()) / kG8Div;
      }
      break;
    case Kind::pinwheel:  // x = 2·R(angle)ᵀ f, f ~ N((1,0), diag(.3², .1²))
      for (std::size_t i = 0; i < n; ++i) {
        const double f0 = 1.0 + 0.3 * rng.normal(), f1 = 0.1 * rng.normal();
        const double a = 2.0 * kPi * static_cast<double>(i % 5) / 5.0 + 0.25 * std::exp(f0);
        out(i, 0) = 2.0 * (f0 * std::cos(a) + f1 * std::sin(a));
        out(i, 1) = 2.0 * (-f0 * std::sin(a) + f1 * std::cos(a));
      }
      shuffle_rows(out, rng);
      break;
    case Kind::spirals:
      for (std::size_t i = 0; i < n; ++i) {
        const double t = std::sqrt(rng.uniform()) * 540.0 * (2.0 * kPi) / 360.0;
        const double px = -std::cos(t) * t + rng.uniform() * 0.5;
        const double py = std::sin(t) * t + rng.uniform() * 0.5;
        const double sg = i < half ? 1.0 : -1.0;
        out(i, 0) = sg * px / 3.0 + 0.1 * rng.normal();
        out(i, 1) = sg * py / 3.0 + 0.1 * rng.normal();
      }
      shuffle_rows(out, rng);
      break;
    case Kind::checkerboard:
      for (std::size_t i = 0; i < n; ++i) {
        const double x1 = rng.uniform() * 4.0 - 2.0;
        const double u = rng.uniform(), b = static_cast<double>(rng.below(2));
        const double m = static_cast<double>(static_cast<long>(std::floor(x1)) & 1L);
        out(i, 0) = 2.0 * x1;
        out(i, 1) = 2.0 * (u - 2.0 * b + m);
      }
      break;
    case Kind::olympic: {
      const double c[5][2] = {{-3.5, 1.5}, {0, 1.5}, {3.5, 1.5}, {-2.1, -1.5}, {2.1, -1.5}};
      rings_of(out, rng, c, 5);
      break;
    }
    case Kind::four: {
      const double c[4][2] = {{0, 1.5}, {3.5, 1.5}, {-2.1, -1.5}, {2.1, -1.5}};
      rings_of(out, rng, c, 4);
      break;
    }
    case Kind::carpet: {
      const long p = pow3(s.level);
      for (std::size_t i = 0; i < n; ++i) {
        long ix = 0, iy = 0;
        for (int l = 0; l < s.level; ++l) {
          std::size_t c = rng.below(8);
          c += c >= 4;  // skip the centre cell 4 of the 3×3 split
          ix = 3 * ix + static_cast<long>(c % 3);
          iy = 3 * iy + static_cast<long>(c / 3);
        }
        out(i, 0) = (static_cast<double>(ix) + rng.uniform()) / static_cast<double>(p);
        out(i, 1) = (static_cast<double>(iy) + rng.uniform()) / static_cast<double>(p);
      }
      break;
    }
    case Kind::tree:
    case Kind::text: {
      const auto g = grid_for(s);
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t k = g->draw(rng.uniform());
        out(i, 0) = g->x0 + (static_cast<double>(k % g->nx) + rng.uniform()) * g->pixel;
        out(i, 1) = g->y0 + (static_cast<double>(k / g->nx) + rng.uniform()) * g->pixel;
      }
      break;
    }
  }
  return out;
}

ExactDensity exact_density(const std::string& name) {
  const Spec s = parse(name);
  ExactDensity d;
  d.known = true;
  switch (s.kind) {
    case Kind::checkerboard: d.entropy = std::log(32.0); break;
    case Kind::carpet: d.entropy = s.level * std::log(8.0 / 9.0); break;
    case Kind::gauss8: d.entropy = gauss8_entropy(); break;
    case Kind::tree: case Kind::text: d.entropy = grid_for(s)->entropy; break;
    default: d.known = false;
  }
  return d;
}

double log_density(const std::string& name, double x, double y) {
  const Spec s = parse(name);
  switch (s.kind) {
    case Kind::checkerboard: return checker_in(x, y) ? -std::log(32.0) : kNegInf;
    case Kind::carpet: return carpet_in(s.level, x, y) ? s.level * std::log(9.0 / 8.0) : kNegInf;
    case Kind::gauss8: return gauss8_logp(x, y);
    case Kind::tree: case Kind::text: return grid_for(s)->log_density(x, y);
    default: throw InputError("data set '" + name + "' has no known exact density");
  }
}

bool in_support(const std::string& name, double x, double y) {
  const Spec s = parse(name);
  if (!std::isfinite(x) || !std::isfinite(y)) return false;
  switch (s.kind) {
    case Kind::checkerboard: return checker_in(x, y);
    case Kind::carpet: return carpet_in(s.level, x, y);
    case Kind::tree: case Kind::text: return grid_for(s)->log_density(x, y) > kNegInf;
    default: return true;
  }
}

bool has_hard_support(const std::string& name) {
  const Kind k = parse(name).kind;
  return k == Kind::checkerboard || k == Kind::carpet || is_grid(k);
}

RasterGrid raster_grid(const std::string& name) {
  const Spec s = parse(name);
  if (!is_grid(s.kind)) throw InputError("data set '" + name + "' is not a raster set");
  const auto g = grid_for(s);
  return RasterGrid{g->x0, g->y0, g->pixel, static_cast<int>(g->nx), static_cast<int>(g->ny)};
}

}  // namespace df
