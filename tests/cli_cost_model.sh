#!/usr/bin/env bash
# diffflow-bench speed --device emu (bench/cost_model.cpp): the cost model on a tiny shape must
# exit 0, print a table per precision with every kernel of a training iteration, each row's
# estimate at least its largest term, the total the sum of the rows, write DIR/cost-model.md,
# and with --write-doc replace only the marked section of a file; with --sites, the same counts
# again and a per-site table whose LSU adds up to each kernel's; a file without the markers and
# a bad precision exit 2 with one line. Run by ctest as `bash cli_cost_model.sh <diffflow>`;
# a few seconds.
set -u
BIN="$(dirname "$1")/bench/diffflow-bench"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0; pass=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
if [ ! -x "$BIN" ]; then echo "FAIL: $BIN not built"; exit 1; fi
PY=python3
for c in /usr/bin/python3 python3; do command -v "$c" >/dev/null 2>&1 && { PY=$c; break; }; done

printf 'before\n<!-- cost-model: begin -->\nold text\n<!-- cost-model: end -->\nafter\n' >"$T/doc.md"
args="--device emu --batch 40 --steps 3 --width 16 --layers 1 --precisions fp32,bf16"
# shellcheck disable=SC2086
if timeout 120 "$BIN" speed $args --out "$T/run" --write-doc "$T/doc.md" >"$T/out" 2>"$T/err"; then ok
else bad "cost model run: $(tail -3 "$T/err")"; fi
[ -s "$T/run/cost-model.md" ] && ok || bad "no cost-model.md"
cmp -s "$T/out" "$T/run/cost-model.md" && ok || bad "stdout and cost-model.md differ"
if "$PY" - "$T/out" "$T/doc.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
doc = open(sys.argv[2]).read()
assert "no GPU has run these kernels" in text, "the model is not called a model"
assert "Assumptions" in text
blocks = re.split(r"\*\*(fp32|bf16) operands: ([0-9.e+]+) ms per iteration \(model\)\.\*\*", text)
assert len(blocks) == 1 + 3 * 2, "expected an fp32 and a bf16 table, got %d pieces" % len(blocks)
for k in range(2):
    prec, total, body = blocks[1 + 3 * k], float(blocks[2 + 3 * k]), blocks[3 + 3 * k]
    rows = [l for l in body.splitlines() if l.startswith("| ") and not l.startswith("| kernel")]
    names = [r.split("|")[1].strip() for r in rows]
    for want in ["EmbedK", "AdjointK", "ReduceK", "EmbedPointsK", "EmbedBackwardK", "SqNorm2K", "ClipK", "OptimK"]:
        assert want in names, (prec, want, names)
    # the slices zeroed by their blocks, the reduction writing the gradients: no memset, no copy
    assert "memset" not in names and "copy" not in names, (prec, names)
    s = 0.0
    for r in rows:
        cells = [c.strip() for c in r.split("|")[1:-1]]
        terms = [float(c) for c in cells[10:16]]
        est = float(cells[17])
        assert est > 0 and est >= max(terms) * (1 - 1e-3), (prec, cells)
        s += est
    assert abs(s - total) <= 1e-3 * total + 1e-6, (prec, s, total)
    adj = [r for r in rows if r.split("|")[1].strip() == "AdjointK"][0].split("|")
    mma = float(adj[6])
    assert (mma > 0) == (prec == "bf16"), (prec, mma)
    assert float(adj[5]) > 0, "no FMAs counted in the adjoint"
assert doc.startswith("before\n<!-- cost-model: begin -->\n") and doc.endswith("<!-- cost-model: end -->\nafter\n"), doc[:200]
assert "old text" not in doc and "AdjointK" in doc
PY
then ok; else bad "cost model table: $(head -c 1500 "$T/out")"; fi

# --sites: the same counts (a second process: the counts do not depend on where it is loaded),
# and per kernel the sites' LSU cycles add up to the kernel's LSU term
# shellcheck disable=SC2086
if timeout 120 "$BIN" speed $args --sites 100000 --out "$T/sites" >/dev/null 2>"$T/err4"; then ok
else bad "--sites run: $(tail -3 "$T/err4")"; fi
cmp -s "$T/run/cost-model.md" "$T/sites/cost-model.md" && ok || bad "cost-model.md differs between two runs (--sites)"
if "$PY" - "$T/sites/cost-model.md" "$T/sites/cost-sites.md" <<'PY'
import re, sys
model = open(sys.argv[1]).read()
sites = open(sys.argv[2]).read()
for prec in ["fp32", "bf16"]:
    m = model.split("**%s operands" % prec)[1].split("\n**")[0].split("\nAssumptions")[0]
    s = sites.split("**%s operands**" % prec)[1].split("\n**")[0]
    lsu = {}
    for r in m.splitlines():
        if r.startswith("| ") and not r.startswith("| kernel"):
            c = [x.strip() for x in r.split("|")[1:-1]]
            if c[2] != "-":
                lsu[c[0]] = float(c[12])
    tot = {}
    for r in s.splitlines():
        if r.startswith("| ") and not r.startswith("| kernel"):
            c = [x.strip() for x in r.split("|")[1:-1]]
            assert re.match(r"^(kernels|engine|tests|bench)/.*:[0-9]+$", c[1]), c
            tot[c[0]] = tot.get(c[0], 0.0) + float(c[7])
    assert set(tot) == set(lsu), (prec, sorted(tot), sorted(lsu))
    for k in lsu:
        assert abs(tot[k] - lsu[k]) <= 0.02 * lsu[k] + 1e-6, (prec, k, tot[k], lsu[k])
PY
then ok; else bad "cost-sites.md: $(head -c 1500 "$T/sites/cost-sites.md")"; fi

printf 'no markers\n' >"$T/plain.md"
# shellcheck disable=SC2086
"$BIN" speed $args --out "$T/run2" --write-doc "$T/plain.md" >"$T/out2" 2>"$T/err2"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$T/err2")" -eq 1 ] && grep -q "cost-model" "$T/err2" && [ "$(cat "$T/plain.md")" = "no markers" ] \
  && ok || bad "--write-doc without markers: rc=$rc $(cat "$T/err2")"
"$BIN" speed --device emu --precisions fp16 --out "$T/bad" >"$T/out3" 2>"$T/err3"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$T/err3")" -eq 1 ] && [ ! -e "$T/bad" ] && ok || bad "--precisions fp16: rc=$rc $(cat "$T/err3")"

echo "cli_cost_model: $pass passed, $fail failed"
[ $fail -eq 0 ]
