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
compare.json's.
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


if __name__ == "__main__":
    main()
