// The comparison's reports (bench/compare.h), written atomically:
//   DIR/compare.json  the command, device, budget, seeds and sizes; per model its settings, the
//                     tuning sweep (every candidate, why it was rejected, the one chosen), every
//                     seed's iterations, network evaluations, seconds, test metrics, training
//                     curve and steps sweep, and the mean and sd over seeds; the verdicts; the
//                     figures with their pixel sizes
//   DIR/compare.md    the markdown fragment of compare_markdown.cpp
#include <cmath>
#include <cstdio>
#include <sstream>

#include "bench/compare.h"
#include "host/io.h"
#include "host/json_text.h"

namespace dfc {

namespace {

using df::json_number;
using df::json_string;

std::string stat_json(const Stat& s) {
  return "{\"mean\": " + json_number(s.mean) + ", \"sd\": " + json_number(s.sd) + ", \"n\": " + std::to_string(s.n) + "}";
}

std::string metrics_json(const df::SampleMetrics& m) {
  return "\"sw2\": " + json_number(m.sw2) + ", \"sw2_floor\": " + json_number(m.sw2_floor) + ", \"tv\": " +
         json_number(m.tv) + ", \"tv_floor\": " + json_number(m.tv_floor) + ", \"leakage\": " + json_number(m.leakage);
}

// One per-seed quantity of a model.
template <class F> Stat over_seeds(const ModelResult& m, F f) {
  std::vector<double> v;
  for (const SeedRun& r : m.runs) v.push_back(r.train.stopped ? NAN : f(r));
  return stat(v);
}

struct Column {
  const char* key;
  double (*get)(const SeedRun&, double entropy);
  bool training = false;  // known for a run the trainer stopped too (its test metrics are not)
};
const Column kColumns[] = {
    {"iterations", [](const SeedRun& r, double) { return double(r.train.iters); }, true},
    {"evaluations", [](const SeedRun& r, double) { return r.train.evals; }, true},
    {"seconds", [](const SeedRun& r, double) { return r.train.seconds; }, true},
    {"nll_bound", [](const SeedRun& r, double) { return r.ev.nll_bound; }},
    {"nll_ode", [](const SeedRun& r, double) { return r.ev.nll_ode; }},
    {"nll_exact", [](const SeedRun& r, double) { return r.ev.nll_exact; }},
    {"kl_gap", [](const SeedRun& r, double h) { return likelihood_of(r) - h; }},
    {"sw2", [](const SeedRun& r, double) { return r.sm.sw2; }},
    {"sw2_floor", [](const SeedRun& r, double) { return r.sm.sw2_floor; }},
    {"tv", [](const SeedRun& r, double) { return r.sm.tv; }},
    {"tv_floor", [](const SeedRun& r, double) { return r.sm.tv_floor; }},
    {"leakage", [](const SeedRun& r, double) { return r.sm.leakage; }},
    {"samples_per_s", [](const SeedRun& r, double) { return r.samples_per_s; }},
};

std::string run_json(const SeedRun& r, double h) {
  std::ostringstream j;
  j << "{\"seed\": " << r.seed << ", \"stopped\": " << (r.train.stopped ? "true" : "false") << ", \"decay_every\": "
    << r.train.cfg.decay_every << ", \"expected_iterations\": " << json_number(r.train.expected_iters);
  for (const Column& c : kColumns)
    j << ", " << json_string(c.key) << ": " << json_number(r.train.stopped && !c.training ? NAN : c.get(r, h));
  j << ", \"nll_se\": " << json_number(r.train.stopped ? NAN : likelihood_se(r));  // of the likelihood the verdicts compare
  j << ", \"loss_first_tenth\": " << json_number(r.train.loss_start) << ", \"loss_last_tenth\": " << json_number(r.train.loss_end)
    << ", \"measure_seconds\": " << json_number(r.train.measure_seconds) << ", \"eval_seconds\": " << json_number(r.eval_seconds)
    << ", \"nfe_sample\": " << r.nfe_sample << ", \"nfe_likelihood\": " << r.ev.nfe << ", \"curve\": [";
  for (std::size_t i = 0; i < r.train.curve.size(); ++i) {
    const CurvePoint& c = r.train.curve[i];
    j << (i ? ", " : "") << "{\"seconds\": " << json_number(c.seconds) << ", \"iterations\": " << c.iters
      << ", \"evaluations\": " << json_number(c.evals) << ", " << metrics_json(c.sm) << ", \"nll\": " << json_number(c.nll) << "}";
  }
  j << "], \"sweep\": [";
  for (std::size_t i = 0; i < r.sweep.size(); ++i) {
    const SweepPoint& p = r.sweep[i];
    j << (i ? ", " : "") << "{\"steps\": " << p.steps << ", \"lambda\": " << json_number(p.lambda)
      << ", \"tol\": " << json_number(p.tol) << ", \"seconds\": "
      << json_number(p.seconds) << ", \"nfe\": " << p.nfe << ", " << metrics_json(p.sm) << ", \"nll\": " << json_number(p.nll)
      << ", \"kl_gap\": " << json_number(p.nll - h) << "}";
  }
  j << "]}";
  return j.str();
}

std::string tuning_json(const Tuning& t) {
  if (!t.done) return "null";
  std::ostringstream j;
  j << "{\"criterion\": \"validation SW2 (model samples at the training N against held-out validation draws)\", "
       "\"chosen\": "
    << t.chosen << ", \"all_rejected\": " << (t.all_rejected ? "true" : "false") << ", \"candidates\": [";
  for (std::size_t i = 0; i < t.cands.size(); ++i) {
    const Candidate& c = t.cands[i];
    j << (i ? ", " : "") << "{\"lr\": " << json_number(c.s.lr) << ", \"train_steps\": " << c.s.train_steps
      << ", \"iterations\": " << c.iters << ", \"seconds\": " << json_number(c.seconds) << ", \"evaluations\": "
      << json_number(c.evals) << ", \"loss_first_tenth\": " << json_number(c.loss_start) << ", \"loss_last_tenth\": "
      << json_number(c.loss_end) << ", \"val_sw2\": " << json_number(c.val_sw2) << ", \"val_nll\": " << json_number(c.val_nll)
      << ", \"rejected\": " << (c.rejected.empty() ? "null" : json_string(c.rejected)) << "}";
  }
  j << "]}";
  return j.str();
}

std::string verdict_json(const Verdict& v) {
  return "{\"metric\": " + json_string(v.metric) + ", \"a\": " + json_string(v.a) + ", \"b\": " + json_string(v.b) +
         ", \"a_stat\": " + stat_json(v.sa) + ", \"b_stat\": " + stat_json(v.sb) + ", \"floor\": " + json_number(v.floor) +
         ", \"win\": " + (v.better ? "true" : "false") + ", \"better\": " +
         (v.better ? json_string(v.better < 0 ? v.a : v.b) : "null") + ", \"text\": " + json_string(v.text()) + "}";
}

template <class T, class F> std::string list(const std::vector<T>& v, F f) {
  std::string s;
  for (const T& x : v) s += (s.empty() ? "" : ", ") + f(x);
  return "[" + s + "]";
}

}  // namespace

Stat summary_stat(const ModelResult& m, const std::string& key, double entropy) {
  for (const Column& c : kColumns)
    if (key == c.key) return over_seeds(m, [&](const SeedRun& r) { return c.get(r, entropy); });
  return Stat{};
}

void write_reports(const Options& o, const df::DataSource& data, const std::vector<ModelResult>& res,
                   const std::vector<Figure>& figs) {
  const double h = entropy_of(data);
  const std::vector<Verdict> verdicts = model_verdicts(res), steps = steps_verdicts(res, 10, 100);
  std::ostringstream j;
  j << "{\"data\": " << json_string(data.spec()) << ", \"command\": " << json_string(o.command) << ", \"device\": "
    << json_string(o.device) << ", \"device_description\": " << json_string(o.device_description)
    << ", \"budget\": {\"kind\": " << json_string(o.budget.key()) << ", \"amount\": " << json_number(o.budget.amount)
    << ", \"text\": " << json_string(o.budget.text()) << "}, \"seeds\": "
    << list(res.empty() ? std::vector<SeedRun>{} : res[0].runs, [](const SeedRun& r) { return std::to_string(r.seed); })
    << ", \"tuned\": " << (o.tune ? "true" : "false") << ", \"tune_fraction\": " << json_number(o.tune ? o.tune_fraction : NAN)
    << ", \"entropy\": " << json_number(h) << ", \"sizes\": {\"test_points\": " << o.eval_n << ", \"validation_points\": "
    << o.val_n << ", \"metric_samples\": " << o.metric_n << ", \"sweep_samples\": " << o.sweep_n << ", \"sweep_eval_points\": "
    << o.sweep_eval_n << ", \"curve_points\": " << o.curve_points << ", \"curve_samples\": " << o.curve_n
    << ", \"curve_eval_points\": " << o.curve_eval_n << "}, \"sample_steps\": "
    << list(o.sweep_steps, [](int n) { return std::to_string(n); })
    << ", \"lambdas\": " << list(o.lambdas, [](double l) { return json_number(l); })
    << ", \"ffjord_tols\": " << list(o.ffjord_tols, [](double t) { return json_number(t); }) << ", \"denoise\": "
    << (o.denoise ? "true" : "false") << ", \"models\": [";
  for (std::size_t i = 0; i < res.size(); ++i) {
    const ModelResult& m = res[i];
    const df::RunConfig& c = o.base[i];
    j << (i ? ", " : "") << "{\"model\": " << json_string(m.model) << ", \"settings\": {\"lr\": " << json_number(m.settings.lr)
      << ", \"train_steps\": " << m.settings.train_steps << ", \"batch\": " << c.batch << ", \"width\": " << c.shape.W
      << ", \"layers\": " << c.shape.L << ", \"ema\": " << json_number(c.ema) << "}, \"train_passes_per_sample\": "
      << passes_per_sample(with_settings(c, m.settings)) << ", \"tuning\": " << tuning_json(m.tuning) << ", \"summary\": {";
    for (std::size_t k = 0; k < sizeof kColumns / sizeof kColumns[0]; ++k)
      j << (k ? ", " : "") << json_string(kColumns[k].key) << ": " << stat_json(summary_stat(m, kColumns[k].key, h));
    j << "}, \"runs\": " << list(m.runs, [&](const SeedRun& r) { return run_json(r, h); }) << "}";
  }
  j << "], \"verdicts\": " << list(verdicts, verdict_json) << ", \"steps_verdicts\": " << list(steps, verdict_json)
    << ", \"figures\": " << list(figs, [](const Figure& f) {
         return "{\"file\": " + json_string(f.file) + ", \"width\": " + std::to_string(f.width) + ", \"height\": " +
                std::to_string(f.height) + "}";
       })
    << "}\n";
  df::atomic_write_file(o.out + "/compare.json", j.str());
  df::atomic_write_file(o.out + "/compare.md", markdown(o, data, res, verdicts, steps, figs));
}

}  // namespace dfc
