#!/usr/bin/env python3
"""The summary tables of docs/results.md, from the outputs of scripts/run-comparison.sh.

Usage: python3 scripts/comparison-summary.py DIR [SET ...]
  DIR   run-comparison.sh's --out (DIR/SET/compare.json per set)
  SET   the sets, in order (default: every DIR/*/compare.json, sorted)

Prints markdown: (1) per set and model, the settings chosen on the validation split and the
metrics at the training N (mean ± sd over the seeds); (2) the paper's two expectations per set,
with compare's own verdicts (a win beyond the spread and the floor, else no difference):
DiffFlow leaks less and has a lower SW2 than DDPM at equal wall time, and DiffFlow at N = 10 is
at least as good as DDPM at N = 100 (per λ). Nothing is recomputed: the numbers and verdicts are
compare.json's. (3) FFJORD's sampler at its ODE tolerances: per set and Dormand–Prince tolerance
the network evaluations per sample and the SW2, beside DiffFlow's probability-flow ODE at N = 10;
the mean ± sd over seeds of these sweep points is the one thing computed here (compare.json keeps
the per-seed points).
"""
import json
import math
import os
import sys


def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}g}"


def stat(s, digits=3):
    if not s or s.get("n", 0) == 0 or s.get("mean") is None:
        return "–"
    text = fmt(s["mean"], digits)
    if s["n"] >= 2 and s.get("sd") is not None:
        text += " ± " + fmt(s["sd"], 2)
    return text


def seed_stat(values):
    """mean ± sample sd of the finite values, as compare's summaries give them."""
    v = [x for x in values if x is not None and math.isfinite(x)]
    if not v:
        return {"n": 0}
    mean = sum(v) / len(v)
    sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else None
    return {"n": len(v), "mean": mean, "sd": sd}


def verdict_word(v, a_name, b_name):
    """'a' / 'b' better, or 'no difference'."""
    if not v["win"]:
        return "no difference"
    return (a_name if v["better"] == v["a"] else b_name) + " better"


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: comparison-summary.py DIR [SET ...]")
    root = sys.argv[1]
    sets = sys.argv[2:] or sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "compare.json")))
    runs = {}
    for s in sets:
        path = os.path.join(root, s, "compare.json")
        try:
            with open(path) as f:
                runs[s] = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"comparison-summary: error: {path}: {e}")

    print("| set | model | lr (RK4 steps) | iterations | train s | NLL (nats) | KL gap | SW2 (floor) | leakage | tuning |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s, o in runs.items():
        for m in o["models"]:
            su, st, t = m["summary"], m["settings"], m["tuning"]
            nll_key = "nll_exact" if m["model"] == "ffjord" else "nll_ode"
            lr = fmt(st["lr"]) + (f" ({st['train_steps']})" if m["model"] == "ffjord" else "")
            full = [c for c in t.get("candidates", []) if (c.get("rejected") or "").startswith("at the full budget")]
            note = "all rejected" if t.get("all_rejected") else ""
            if full:
                note = (note + "; " if note else "") + f"{len(full)} rejected at the full budget"
            n_ok = su["sw2"]["n"]
            model = m["model"] + ("" if n_ok == len(m["runs"]) else f" ({len(m['runs']) - n_ok} stopped)")
            floor = su["sw2_floor"]["mean"]
            print(f"| {s} | {model} | {lr} | {stat(su['iterations'], 4)} | {stat(su['seconds'], 3)} | "
                  f"{stat(su[nll_key])} | {stat(su['kl_gap'])} | {stat(su['sw2'])} ({fmt(floor, 2)}) | "
                  f"{stat(su['leakage'])} | {note or 'ok'} |")
    print()
    print("The paper's expectations, with compare's verdicts (a win needs a difference beyond both the "
          "spread over seeds and the metric's floor):")
    print()
    print("| set | leakage: DiffFlow vs DDPM | SW2: DiffFlow vs DDPM | NLL: DiffFlow vs DDPM | "
          "DiffFlow N = 10 vs DDPM N = 100 (λ = 0 / 0.5 / 1), SW2 | leakage |")
    print("|---|---|---|---|---|---|")
    for s, o in runs.items():
        cells = []
        for metric in ("leakage", "SW2", "NLL"):
            v = [x for x in o["verdicts"] if x["metric"] == metric and {x["a"], x["b"]} == {"diffflow", "ddpm"}]
            cells.append(verdict_word(v[0], "DiffFlow", "DDPM") if v else "–")
        for metric in ("SW2", "leakage"):
            words = []
            for lam in o.get("lambdas", []):
                tag = f"λ={lam:g}"
                v = [x for x in o.get("steps_verdicts", []) if x["metric"] == metric and x["a"].endswith(" " + tag)]
                if not v:
                    words.append("–")
                    continue
                v = v[0]
                ddpm_wins = v["win"] and v["better"] == v["b"]
                words.append("not met" if ddpm_wins else ("met (DiffFlow better)" if v["win"] else "met"))
            cells.append(" / ".join(words))
        print(f"| {s} | " + " | ".join(cells) + " |")
    tols = []
    for o in runs.values():
        for t in o.get("ffjord_tols", []):
            if t not in tols:
                tols.append(t)
    if not tols:
        return
    print()
    print("FFJORD's sampler at its ODE tolerances (Dormand–Prince; per cell: SW2, and in brackets the network "
          "evaluations per sample), beside DiffFlow's probability-flow ODE at N = 10 (20 evaluations):")
    print()
    print("| set | " + " | ".join(f"FFJORD tol {t:g}" for t in tols) + " | DiffFlow λ = 0, N = 10 |")
    print("|---|" + "---|" * (len(tols) + 1))
    for s, o in runs.items():
        models = {m["model"]: m for m in o["models"]}
        if "ffjord" not in models:
            continue
        cells = []
        for t in tols:
            pts = [p for r in models["ffjord"]["runs"] for p in r["sweep"] if p.get("tol") == t]
            nfe = seed_stat([float(p["nfe"]) for p in pts])
            cells.append(f"{stat(seed_stat([p['sw2'] for p in pts]))} ({fmt(nfe.get('mean'), 3)})" if pts else "–")
        ref = "–"
        if "diffflow" in models:
            pts = [p for r in models["diffflow"]["runs"] for p in r["sweep"] if p["steps"] == 10 and p["lambda"] == 0]
            ref = stat(seed_stat([p["sw2"] for p in pts]))
        print(f"| {s} | " + " | ".join(cells) + f" | {ref} |")


if __name__ == "__main__":
    main()
