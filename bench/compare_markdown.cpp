// DIR/compare.md (bench/compare.h): the markdown fragment of one set for docs/results.md. The
// setup in words (budget, seeds, settings, sizes), the table at the training N as mean ± sd over
// seeds, the verdict per metric and pair of models, the tuning sweep, sample quality against
// sampling steps (one table per metric, with the seconds), the paper's steps expectation
// (DiffFlow at N = 10 against DDPM at N = 100) and the figures. Image links are relative to DIR.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "bench/compare.h"

namespace dfc {

namespace {

std::string num(double v, int prec = 4) {
  if (!std::isfinite(v)) return "–";
  char b[64];
  std::snprintf(b, sizeof b, "%.*g", prec, v);
  return b;
}

std::string pm(const Stat& s, int seeds) {
  if (s.n == 0) return "–";
  std::string t = num(s.mean) + (std::isfinite(s.sd) ? " ± " + num(s.sd, 2) : "");
  return s.n < seeds ? t + " (n=" + std::to_string(s.n) + ")" : t;
}

std::string lambda_text(double lam) { return std::isfinite(lam) ? num(lam) : "-"; }

void main_table(std::ostringstream& md, const Options& o, const std::vector<ModelResult>& res, double h) {
  md << "| model | lr | train steps | iterations | network evaluations | train s | NLL (nats) | KL gap | SW2 (floor) | TV "
        "(floor) | leakage | samples/s | NFE sample | NFE likelihood |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const ModelResult& m : res) {
    auto s = [&](const char* key) { return pm(summary_stat(m, key, h), o.seeds); };
    const bool exact = m.model == "ffjord";
    long nfe_s = 0, nfe_l = 0;
    int stopped = 0;
    for (const SeedRun& r : m.runs) nfe_s = std::max(nfe_s, r.nfe_sample), nfe_l = std::max(nfe_l, r.ev.nfe), stopped += r.train.stopped;
    md << "| " << m.model << (stopped ? " (" + std::to_string(stopped) + " stopped)" : "") << " | " << num(m.settings.lr)
       << " | " << m.settings.train_steps << " | " << s("iterations") << " | " << s("evaluations") << " | " << s("seconds")
       << " | " << s(exact ? "nll_exact" : "nll_ode") << (exact ? " (exact)" : " (ODE); bound " + s("nll_bound"))
       << " | " << s("kl_gap") << " | " << s("sw2") << " (" << num(summary_stat(m, "sw2_floor", h).mean) << ") | " << s("tv")
       << " (" << num(summary_stat(m, "tv_floor", h).mean) << ") | " << s("leakage") << " | " << s("samples_per_s") << " | "
       << nfe_s << " | " << nfe_l << " |\n";
  }
}

void tuning_table(std::ostringstream& md, const std::vector<ModelResult>& res) {
  md << "| model | lr | train steps | iterations | train s | loss: first → last tenth | validation SW2 | validation NLL | "
        "outcome |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const ModelResult& m : res)
    for (std::size_t i = 0; i < m.tuning.cands.size(); ++i) {
      const Candidate& c = m.tuning.cands[i];
      const bool chosen = int(i) == m.tuning.chosen;
      md << "| " << m.model << " | " << num(c.s.lr) << " | " << c.s.train_steps << " | " << c.iters << " | "
         << num(c.seconds, 3) << " | " << num(c.loss_start) << " → " << num(c.loss_end) << " | " << num(c.val_sw2) << " | "
         << num(c.val_nll) << " | "
         << (chosen ? (m.tuning.all_rejected ? "**chosen although rejected**: " + c.rejected : std::string("**chosen**"))
                    : (c.rejected.empty() ? std::string("accepted") : "rejected: " + c.rejected))
         << " |\n";
    }
}

// FFJORD's points of the sweep: a column per Dormand–Prince tolerance, a row per quantity (the
// steps and evaluations the solver took, seconds, SW2, TV, leakage).
void ffjord_tolerance_table(std::ostringstream& md, const Options& o, const std::vector<ModelResult>& res) {
  for (const ModelResult& mr : res) {
    if (mr.model != "ffjord" || o.ffjord_tols.empty()) continue;
    struct Q {
      const char* name;
      double (*get)(const SweepPoint&);
    };
    const Q qs[] = {{"solver steps", [](const SweepPoint& p) { return double(p.steps); }},
                    {"network evaluations per sample", [](const SweepPoint& p) { return double(p.nfe); }},
                    {"sampling seconds", [](const SweepPoint& p) { return p.seconds; }},
                    {"SW2", [](const SweepPoint& p) { return p.sm.sw2; }},
                    {"TV", [](const SweepPoint& p) { return p.sm.tv; }},
                    {"leakage", [](const SweepPoint& p) { return p.sm.leakage; }}};
    std::ostringstream rows;
    bool any = false;
    for (const Q& q : qs) {
      rows << "| " << q.name << " |";
      for (double tol : o.ffjord_tols) {
        std::vector<double> v;
        for (const SeedRun& r : mr.runs)
          for (const SweepPoint& p : r.sweep)
            if (p.tol == tol) v.push_back(q.get(p));
        const Stat s = stat(v);
        any |= s.n > 0;
        rows << " " << pm(s, o.seeds) << " |";
      }
      rows << "\n";
    }
    if (!any) continue;
    md << "\nFFJORD's sampler at its ODE tolerances (Dormand–Prince 5(4), relative = absolute tolerance, each chunk of "
          "256 samples integrated on its own; steps and evaluations: the most over chunks), "
       << o.sweep_n << " samples:\n\n| tolerance |";
    for (double tol : o.ffjord_tols) md << " " << num(tol) << " |";
    md << "\n|---|";
    for (std::size_t k = 0; k < o.ffjord_tols.size(); ++k) md << "---|";
    md << "\n" << rows.str();
  }
}

// One table per metric: a row per model and λ (none where the metric is undefined for it), a
// column per N; the last table gives seconds.
void steps_tables(std::ostringstream& md, const Options& o, const std::vector<ModelResult>& res, double h) {
  struct M {
    const char* title;
    bool on_test_points;  // a likelihood on sweep-eval-n test points, not a statistic of the samples
    double (*get)(const SweepPoint&, double);
  };
  const M metrics[] = {
      {"SW2", false, [](const SweepPoint& p, double) { return p.sm.sw2; }},
      {"TV", false, [](const SweepPoint& p, double) { return p.sm.tv; }},
      {"leakage", false, [](const SweepPoint& p, double) { return p.sm.leakage; }},
      {std::isfinite(h) ? "KL gap (λ = 0: ODE on the N-step grid, λ = 1: the bound on it)"
                        : "NLL (λ = 0: ODE on the N-step grid, λ = 1: the bound on it)",
       true, [](const SweepPoint& p, double e) { return std::isfinite(e) ? p.nll - e : p.nll; }},
      {"sampling seconds", false, [](const SweepPoint& p, double) { return p.seconds; }},
  };
  for (const M& m : metrics) {
    std::ostringstream rows;
    for (const ModelResult& mr : res) {
      for (double lam : swept_lambdas(mr)) {
        std::ostringstream row;
        bool any = false;
        row << "| " << mr.model << " | " << lambda_text(lam) << " |";
        for (int N : o.sweep_steps) {
          std::vector<double> v;
          for (const SeedRun& r : mr.runs)
            for (const SweepPoint& p : r.sweep)
              if (p.steps == N && same_lambda(p.lambda, lam) && std::isnan(p.tol)) v.push_back(m.get(p, h));
          const Stat s = stat(v);
          any |= s.n > 0;
          row << " " << pm(s, o.seeds) << " |";
        }
        if (any) rows << row.str() << "\n";
      }
    }
    if (rows.str().empty()) continue;
    md << "\n" << m.title << ", "
       << (m.on_test_points ? std::to_string(o.sweep_eval_n) + " test points" : std::to_string(o.sweep_n) + " samples")
       << ":\n\n| model | λ |";
    for (int N : o.sweep_steps) md << " N = " << N << " |";
    md << "\n|---|---|";
    for (std::size_t k = 0; k < o.sweep_steps.size(); ++k) md << "---|";
    md << "\n" << rows.str();
  }
  ffjord_tolerance_table(md, o, res);
}

}  // namespace

std::string markdown(const Options& o, const df::DataSource& data, const std::vector<ModelResult>& res,
                     const std::vector<Verdict>& verdicts, const std::vector<Verdict>& steps,
                     const std::vector<Figure>& figs) {
  const double h = entropy_of(data);
  std::ostringstream md;
  std::string seeds;
  for (int k = 0; k < o.seeds; ++k) seeds += (k ? ", " : "") + std::to_string(o.seed0 + std::uint64_t(k));
  const df::RunConfig& c0 = o.base.front();
  md << "## " << data.spec() << "\n\n"
     << "Budget: " << o.budget.text() << " (network evaluations: engine/model_family.h train_passes_per_sample × batch × "
     << "iterations). Seeds " << seeds << ". Device: " << o.device_description << ". Networks W = " << c0.shape.W
     << ", L = " << c0.shape.L << ", batch " << c0.batch << "; DiffFlow and DDPM train and sample at N = "
     << o.base.front().grid.N << " unless the sweep says otherwise. "
     << (o.tune ? "Each model's learning rate (FFJORD: also its RK4 steps) was chosen by `--tune` on a validation split "
                  "(table below), never on the test draws."
                : "Not tuned: one learning rate for every model.")
     << " Test: " << o.eval_n << " held-out points for the likelihoods, " << o.metric_n
     << " model samples for SW2, TV and leakage; floors = the same statistic between two draws of the data.\n\n"
     << "Mean ± standard deviation over seeds. NLL: the exact likelihood for FFJORD (Dormand–Prince), the "
        "probability-flow ODE's for DiffFlow and DDPM, and their bound (−ELBO, 4 trajectories); KL gap = that "
        "likelihood − the set's exact entropy where known.\n\n";
  main_table(md, o, res, h);
  md << "\nVerdicts (a win needs a difference of the means larger than both the sum of the standard deviations and "
        "the metric's floor: SW2, TV the two-draw floor; leakage twice the binomial standard error; NLL twice the "
        "standard error over the test points):\n\n";
  for (const Verdict& v : verdicts) md << "- " << v.metric << ", " << v.a << " vs " << v.b << ": " << v.text() << "\n";
  if (o.tune) {
    md << "\nTuning: each candidate trained once on " << num(o.tune_fraction) << " × the budget (seed "
       << o.seed0 + kTuneSeedOffset << "), judged by the SW2 of " << o.val_n << " samples against " << o.val_n
       << " validation draws.\n\n";
    tuning_table(md, res);
  }
  md << "\nSample quality against sampling steps (DiffFlow and DDPM; FFJORD at its ODE tolerances in the last table"
     << (o.denoise ? "; DiffFlow and DDPM end with Tweedie's step" : "") << "):\n";
  steps_tables(md, o, res, h);
  if (!steps.empty()) {
    md << "\nThe paper's expectation, DiffFlow at N = 10 at least as good as DDPM at N = 100 (met unless DDPM wins):\n\n";
    for (const Verdict& v : steps)
      md << "- " << v.metric << ", " << v.a << " vs " << v.b << ": " << v.text() << (v.better > 0 ? " — not met" : " — met")
         << "\n";
  }
  md << "\n";
  for (const Figure& f : figs) md << "![" << f.file << "](" << f.file << ")\n";
  return md.str();
}

}  // namespace dfc
