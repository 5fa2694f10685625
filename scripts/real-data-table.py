#!/usr/bin/env python3
"""The tables of docs/real-data.md from a scripts/run-real-data.sh output directory.

Usage: python3 scripts/real-data-table.py DIR > DIR/results.md

Per set: each model's learning rate (chosen on the validation split), iterations in the budget,
the iteration of its best validation NLL, the test NLL by the bound and by the model's
likelihood (the probability-flow ODE for DiffFlow and DDPM, the exact ODE for FFJORD) as mean ±
sample standard deviation over the seeds, with the mean standard error over the test points; the
Gaussian baseline; how much the validation NLL still fell over the last quarter of the budget;
and pairwise verdicts on the likelihood. A difference is called a win only where it exceeds both
the seeds' spread (|mean_a − mean_b| > sd_a + sd_b) and twice the standard error of the
difference over the test points; otherwise "no difference established".
"""
import json
import math
import os
import sys


def mean_sd(v):
    v = [x for x in v if x is not None and math.isfinite(x)]
    if not v:
        return None, None, 0
    m = sum(v) / len(v)
    sd = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else float("nan")
    return m, sd, len(v)


def fmt(m, sd, n, digits=2):
    if m is None:
        return "–"
    s = f"{m:.{digits}f}"
    if n > 1:
        s += f" ± {sd:.{digits}f}"
    return s + ("" if n > 1 else " (1 seed)")


def likelihood(e):
    """A model's own likelihood: FFJORD's exact, else the probability-flow ODE's."""
    if e.get("nll_exact") is not None:
        return e["nll_exact"], e["nll_exact_se"], e.get("bpd_exact")
    return e.get("nll_ode"), e.get("nll_ode_se"), e.get("bpd_ode")


def last_quarter_drop(valid):
    """Validation NLL at 75 % of the run's iterations minus the final one (> 0: still falling)."""
    if len(valid) < 2:
        return None
    last_it = valid[-1][0]
    at75 = min(valid, key=lambda r: abs(r[0] - 0.75 * last_it))
    return at75[1] - valid[-1][1]


def main(d):
    rows = [json.loads(line) for line in open(os.path.join(d, "results.jsonl")) if line.strip()]
    machine = open(os.path.join(d, "machine.txt")).read().strip()
    out = ["# Real data: results of scripts/run-real-data.sh", "", "```", machine, "```", ""]
    sets = []
    for r in rows:
        if r["set"] not in sets:
            sets.append(r["set"])
    for s in sets:
        out += [f"## {s}", ""]
        out += ["| model | lr | iterations | best at | test NLL, bound | test NLL, likelihood | test se | bits/dim (likelihood) | validation drop, last quarter |",
                "|---|---|---|---|---|---|---|---|---|"]
        stats = {}
        for model in ("diffflow", "ddpm", "ffjord"):
            rs = [r for r in rows if r["set"] == s and r["model"] == model]
            if not rs:
                continue
            b = mean_sd([r["eval"].get("nll_bound") for r in rs])
            lk = [likelihood(r["eval"]) for r in rs]
            l = mean_sd([x[0] for x in lk])
            se = mean_sd([x[1] for x in lk])[0]
            bpd = mean_sd([x[2] for x in lk])
            its = mean_sd([r["iterations"] for r in rs])
            best = mean_sd([r["best_iter"] for r in rs])
            drop = mean_sd([last_quarter_drop(r["valid"]) for r in rs])
            stats[model] = (l, se)
            out.append(f"| {model} | {rs[0]['lr']:g} | {its[0]:.0f} | {best[0]:.0f} | {fmt(*b)} | {fmt(*l)} | "
                       f"{se:.2f} | {fmt(*bpd, digits=3)} | {fmt(*drop)} |" if se is not None else
                       f"| {model} | {rs[0]['lr']:g} | {its[0]:.0f} | {best[0]:.0f} | {fmt(*b)} | – | – | – | {fmt(*drop)} |")
        bp = os.path.join(d, s, "baseline.json")
        if os.path.exists(bp):
            g = json.load(open(bp))
            out.append(f"| Gaussian (full covariance) | – | – | – | – | {g['nll']:.2f} | {g['nll_se']:.2f} | {g['bpd']:.3f} | – |")
        out += ["", "Verdicts on the test likelihood (lower NLL is better):", ""]
        names = list(stats)
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                a, b = names[i], names[j]
                (ma, sa, na), sea = stats[a]
                (mb, sb, nb), seb = stats[b]
                if ma is None or mb is None or na < 2 or nb < 2:
                    out.append(f"- {a} vs {b}: not enough finite seeds")
                    continue
                diff = ma - mb
                floor = 2 * math.sqrt(sea ** 2 + seb ** 2)
                if abs(diff) > sa + sb and abs(diff) > floor:
                    w = a if diff < 0 else b
                    out.append(f"- {a} vs {b}: {w} better by {abs(diff):.2f} nats (spread {sa + sb:.2f}, floor {floor:.2f})")
                else:
                    out.append(f"- {a} vs {b}: no difference established ({diff:+.2f} nats; spread {sa + sb:.2f}, floor {floor:.2f})")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: real-data-table.py DIR")
    main(sys.argv[1])
