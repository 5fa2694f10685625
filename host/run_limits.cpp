// The limits of a run's settings and the checks of a whole configuration; see host/run_limits.h.
#include "host/run_limits.h"

#include <cmath>
#include <cstdint>
#include <sstream>

#include "host/errors.h"
#include "host/io.h"
#include "host/number_parse.h"

namespace df {

namespace limits {
// key, flag, lo, hi, lo_open, hi_open, integer
const Limit iters{"iters", "iters", 0, 1e8, false, false, true};
const Limit batch{"batch", "batch", 1, 1e7, false, false, true};
const Limit steps{"N", "steps", 1, 1e5, false, false, true};
const Limit width{"W", "width", 1, 4096, false, false, true};
const Limit layers{"L", "layers", 0, 64, false, false, true};
const Limit dim{"d", "", 1, 65536, false, false, true};
const Limit lr{"lr", "lr", 0, 10, true, false, false};
const Limit lr_drift{"lr_f", "lr-drift", 0, 10, true, false, false};
const Limit lr_score{"lr_s", "lr-score", 0, 10, true, false, false};
const Limit seed{"seed", "seed", 0, 9223372036854775807.0, false, false, true};
const Limit beta_min{"beta_min", "beta-min", 0, 1e6, false, false, false};
const Limit beta_max{"beta_max", "beta-max", 0, 1e6, false, false, false};
const Limit ddpm_t_min{"ddpm_t_min", "", 0, 1, true, true, false};
const Limit t_start{"t_start", "t-start", 0, 1e6, false, false, false};
const Limit t_end{"t_end", "t-end", 0, 1e6, true, false, false};
const Limit grid_p{"p", "grid-p", 0, 100, true, false, false};
const Limit g{"g", "g", 0, 1e6, true, false, false};
const Limit adjoint_k{"adjoint_k", "adjoint-k", 0, 1e5, false, false, true};
const Limit clip{"clip", "clip", 0, 1e9, false, false, false};
const Limit ema{"ema", "ema", 0, 1, false, true, false};
const Limit decay_every{"decay_every", "decay-every", 0, 1e8, false, false, true};
const Limit decay_rate{"decay_rate", "decay-rate", 0, 1, true, false, false};
const Limit save_every{"save_every", "save-every", 1, 1e8, false, false, true};
const Limit diverge{"diverge", "diverge", 0, 1e12, false, false, false};
const Limit samples{"samples", "samples", 0, 1e7, false, false, true};
const Limit valid{"valid", "valid", 0, 1e7, false, false, true};
const Limit patience{"patience", "patience", 0, 1e6, false, false, true};
const Limit budget_seconds{"budget_seconds", "budget-seconds", 0, 1e9, false, false, false};
const Limit std_logit{"std_logit", "", 0, 0.5, false, true, false};
}  // namespace limits

bool Limit::contains(double v) const {
  if (!std::isfinite(v) || v < lo || v > hi || (lo_open && v == lo) || (hi_open && v == hi)) return false;
  return !integer || v == std::floor(v);
}

std::string Limit::range() const {
  std::ostringstream os;
  os.precision(15);
  os << (lo_open ? "(" : "[") << lo << ", " << hi << (hi_open ? ")" : "]");
  return os.str();
}

std::string FieldNames::operator()(const Limit& l) const {
  return flags && *l.flag ? std::string("--") + l.flag : std::string(l.key);
}

void check_limit(const Limit& l, double v, const FieldNames& names) {
  if (l.contains(v)) return;
  // the value as its shortest exact text (0.7, not 0.69999999999999996)
  throw InputError(names.prefix + names(l) + " must be in " + l.range() + " (got " + format_double(v) + ")");
}

void validate_config(const RunConfig& c, const FieldNames& names) {
  const auto fail = [&](const std::string& what) { throw InputError(names.prefix + what); };
  try {
    parse_model_kind(c.model);
  } catch (const InputError& e) {
    fail(e.what());
  }
  if (c.data.empty()) fail("the data are not named");
  // a file's identity: its absolute path with its size and SHA-256; a set's (or points in
  // memory): the name alone
  if ((c.data_size != 0) != !c.data_sha256.empty() || (!c.data_sha256.empty() && c.data[0] != '/'))
    fail("data_size and data_sha256 (" + std::to_string(c.data_size) + ", '" + c.data_sha256.substr(0, 12) +
         "') do not belong to data = '" + c.data.substr(0, 60) + "' (a file's absolute path has both, a set neither)");
  const std::pair<const Limit*, double> fields[] = {
      {&limits::iters, double(c.iters)},        {&limits::batch, double(c.batch)},
      {&limits::steps, double(c.grid.N)},       {&limits::width, double(c.shape.W)},
      {&limits::layers, double(c.shape.L)},     {&limits::dim, double(c.shape.d)},
      {&limits::lr_drift, c.lr_f},              {&limits::lr_score, c.lr_s},
      {&limits::beta_min, c.beta_min},
      {&limits::beta_max, c.beta_max},          {&limits::ddpm_t_min, c.ddpm_t_min},
      {&limits::t_start, c.grid.t_start},       {&limits::t_end, c.grid.t_end},
      {&limits::grid_p, c.grid.p},              {&limits::adjoint_k, double(c.adjoint_k)},
      {&limits::clip, c.clip},                  {&limits::ema, c.ema},
      {&limits::decay_every, double(c.decay_every)}, {&limits::decay_rate, c.decay_rate},
      {&limits::save_every, double(c.save_every)},   {&limits::diverge, c.diverge}};
  for (const auto& [limit, value] : fields) check_limit(*limit, value, names);
  if (c.seed > std::uint64_t(INT64_MAX)) fail(names(limits::seed) + " must be in " + limits::seed.range());
  if (!(c.beta_max > c.beta_min)) fail(names(limits::beta_max) + " must exceed " + names(limits::beta_min));
  if (!(c.grid.t_end > c.grid.t_start)) fail(names(limits::t_end) + " must be greater than " + names(limits::t_start));
  if (family(c.kind()).g_from_vp && !(c.grid.t_start > 0))
    fail(names(limits::t_start) + " must be > 0 for DDPM (sigma_0 = 0)");
  if (c.g.g.empty() || c.g.t.size() != c.g.g.size()) fail(names(limits::g) + ": the schedule needs one time per value");
  for (std::size_t i = 0; i < c.g.g.size(); ++i) {
    check_limit(limits::g, c.g.g[i], names);
    if (!std::isfinite(c.g.t[i]) || (i > 0 && !(c.g.t[i] > c.g.t[i - 1])))
      fail(names(limits::g) + ": the schedule's times must be finite and ascending");
  }
  const auto& prog = c.grid.progressive;
  for (std::size_t i = 0; i < prog.size(); ++i) {
    if (prog[i].first < 0 || (i > 0 && prog[i].first <= prog[i - 1].first))
      fail("the progressive schedule's iterations must be ascending from 0 or later");
    check_limit(limits::steps, prog[i].second, names);
  }
  if (!prog.empty() && prog.back().second != c.grid.N)
    fail("the progressive schedule ends at N = " + std::to_string(prog.back().second) + ", the grid has N = " +
         std::to_string(c.grid.N));
}

void validate_state(const RunConfig& c, const RunState& st, const FieldNames& names) {
  const auto fail = [&](const std::string& what) { throw InputError(names.prefix + what); };
  if (st.iteration < 0 || st.iteration > c.iters)
    fail("iteration = " + std::to_string(st.iteration) + " is outside [0, iters = " + std::to_string(c.iters) + "]");
  const std::size_t np = c.shape.n_params();
  const std::pair<const char*, const std::vector<float>*> arrays[] = {
      {"f.p", &st.f.p}, {"f.m", &st.f.m}, {"f.v", &st.f.v}, {"f.ema", &st.f.ema},
      {"s.p", &st.s.p}, {"s.m", &st.s.m}, {"s.v", &st.s.v}, {"s.ema", &st.s.ema}};
  for (const auto& [name, a] : arrays) {
    if (a->size() != np)
      fail(std::string("array '") + name + "' has " + std::to_string(a->size()) + " values, the shape " + c.shape.str() +
           " needs " + std::to_string(np));
    const bool moment2 = name[2] == 'v';  // Adam's second moment is never negative
    for (float x : *a)
      if (!std::isfinite(x) || (moment2 && x < 0))
        fail(std::string("array '") + name + "' holds " + (moment2 ? "a negative or non-finite" : "a non-finite") + " value");
  }
  if (int(st.stdz.a.size()) != c.shape.d || st.stdz.b.size() != st.stdz.a.size())
    fail("standardization does not match d = " + std::to_string(c.shape.d));
  check_limit(limits::std_logit, st.stdz.logit, names);
  for (std::size_t k = 0; k < st.stdz.a.size(); ++k)
    if (!(std::isfinite(st.stdz.a[k]) && st.stdz.a[k] > 0 && std::isfinite(st.stdz.b[k])))
      fail("standardization of dimension " + std::to_string(k + 1) + " is not finite with a positive scale");
}

void validate_log_rows(const RunState& st, const FieldNames& names) {
  std::int64_t last = 0;
  for (std::size_t pos = 0; pos < st.log_rows.size();) {
    const std::size_t end = st.log_rows.find('\n', pos);
    if (end == std::string::npos) throw InputError(names.prefix + "the log's last row is not complete");
    const std::string_view row = std::string_view(st.log_rows).substr(pos, end - pos);
    std::int64_t iter = 0;
    if (!parse_int(row.substr(0, row.find(',')), iter))
      throw InputError(names.prefix + "a log row after iteration " + std::to_string(last) + " has no iteration number");
    if (iter <= last)
      throw InputError(names.prefix + "the log row of iteration " + std::to_string(iter) + " follows that of iteration " +
                       std::to_string(last) + " (out of order)");
    if (iter > st.iteration)
      throw InputError(names.prefix + "the log has a row for iteration " + std::to_string(iter) + ", beyond iteration " +
                       std::to_string(st.iteration));
    last = iter;
    pos = end + 1;
  }
}

}  // namespace df
