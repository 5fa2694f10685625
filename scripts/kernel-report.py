#!/usr/bin/env python3
"""Static report of every kernel of the device backend for sm_90, from ptxas (no GPU needed).

Compiles engine/cuda_backend.cu (which instantiates every kernel, kernels/cuda/kernel_bodies.h)
with `nvcc -arch=sm_90 -Xptxas -v`, reads each kernel's registers, stack frame, spill stores and
loads and static shared memory, takes the launch shapes the backend picks at W = 32, 64, 128
(`diffflow-bench shapes`: tile, threads, dynamic shared memory), and computes the theoretical
occupancy of an H100/H200 SM: 64 warps, 32 blocks, 65,536 registers (allocated per warp in units
of 256), 228 KB of shared memory with 1 KB reserved per block. The operand precision (fp32, tf32,
bf16) is an argument of the same kernels (the same registers), but the tile's row stride depends
on it (sweep_args.h tile_stride), so DiffuseK, ReverseK and AdjointK have a row per width and
precision; PfLoglikK (fp32 throughout) and the embedding kernels one per width.

  python3 scripts/kernel-report.py --bench build/bench/diffflow-bench --write docs/kernels.md
        regenerates the table between the "kernel-report" markers of docs/kernels.md
  ... --ptxas-log build/ptxas/cuda_backend.cu.o.ptxas.txt
        reads the report of the last build's compile (scripts/ptxas-log.sh, the same flags) instead
        of compiling engine/cuda_backend.cu again (as the kernel_report test does)
  python3 scripts/kernel-report.py --bench build/bench/diffflow-bench --check docs/kernels.md
        fails (exit 1) when a sweep kernel spills or its occupancy at a width falls below the
        figure documented in docs/kernels.md; exit 77 when nvcc is not found (a skip for ctest)
  python3 scripts/kernel-report.py --self-test
        checks the ptxas parser on a made-up report (the test kernel_report_parser): a kernel's
        spills are read from its own lines, not from a device function's printed after it
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWEEPS = ["DiffuseK", "ReverseK", "AdjointK", "PfLoglikK"]
PER_WIDTH = ["EmbedK", "EmbedPointsK", "EmbedBackwardK"]  # shapes as launch_embed(_backward) issue them (diffflow-bench shapes)
BEGIN, END = "<!-- kernel-report: begin -->", "<!-- kernel-report: end -->"


def ptxas_info(nvcc, log=None):
    if log and os.path.exists(log):  # the report the build kept (scripts/ptxas-log.sh)
        with open(log) as f:
            return parse_ptxas(f.read())
    if log:
        print(f"kernel-report: {log} not found; compiling engine/cuda_backend.cu for the report")
    eigen = next((p for p in ["/usr/include/eigen3", os.path.join(ROOT, "third_party/include/eigen3")]
                  if os.path.isdir(p)), "/usr/include/eigen3")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [nvcc, "-std=c++17", "-O3", "-DNDEBUG", "-arch=sm_90", "--expt-relaxed-constexpr", "--fmad=false", "-DDF_HAVE_CUDA=1",
               "-I" + ROOT, "-isystem", eigen, "-Xptxas", "-v", "-c", os.path.join(ROOT, "engine/cuda_backend.cu"),
               "-o", os.path.join(tmp, "k.o")]
        r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("kernel-report: nvcc failed:\n" + r.stderr[-3000:])
    return parse_ptxas(r.stderr)


def parse_ptxas(text):
    # A kernel's "bytes stack frame" line follows "Function properties for <its mangled name>";
    # ptxas also prints that pair for device functions it compiles on their own (the trig slow
    # path after AdjointK), whose lines must not overwrite the kernel's.
    kernels, cur, entry, props = {}, None, None, None
    for line in text.splitlines():
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            entry = m.group(1)
            tag = re.search(r"body_kernelINS_\d+(\w+?)EEEv", entry)
            mp = re.search(r"map_kernelINS_2lw\d+(\w+?)EEEv", entry)
            cur = tag.group(1) if tag else ("map<" + mp.group(1) + ">" if mp else entry)
            kernels[cur] = {"regs": 0, "stack": 0, "spill_st": 0, "spill_ld": 0, "smem": 0}
            props = None
            continue
        if cur is None:
            continue
        m = re.search(r"Function properties for (\w+)", line)
        if m:
            props = m.group(1)
            continue
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m and props == entry:
            kernels[cur].update(stack=int(m.group(1)), spill_st=int(m.group(2)), spill_ld=int(m.group(3)))
        m = re.search(r"Used (\d+) registers", line)
        if m:
            kernels[cur]["regs"] = int(m.group(1))
            s = re.search(r"(\d+) bytes smem", line)
            kernels[cur]["smem"] = int(s.group(1)) if s else 0
    missing = [k for k in SWEEPS if k not in kernels]
    if missing:
        sys.exit("kernel-report: ptxas reported no " + ", ".join(missing) + " (was engine/cuda_backend.cu compiled with -Xptxas=-v?)")
    return kernels


def occupancy(regs, threads, smem):
    warps = math.ceil(threads / 32)
    regs_per_warp = math.ceil(max(regs, 1) * 32 / 256) * 256
    by_regs = (65536 // regs_per_warp) // warps
    by_smem = 233472 // (smem + 1024) if smem > 0 else 32
    blocks = min(32, 2048 // threads, by_regs, by_smem)
    limit = min([("registers", by_regs), ("shared memory", by_smem), ("threads", 2048 // threads), ("blocks", 32)],
                key=lambda x: x[1])[0]
    return blocks, blocks * warps / 64.0, limit


def rows(kernels, shapes):
    out = []
    for name in sorted(kernels, key=lambda k: (k not in SWEEPS, k not in PER_WIDTH, k)):
        k = kernels[name]
        # the tile's rows (its shared memory) depend on the operand precision for the sweeps that
        # take it; the probability-flow kernel is fp32 throughout, the embedding kernels per width
        per_prec = name in SWEEPS and name != "PfLoglikK"
        fp32 = [sh for sh in shapes if sh.get("prec", "fp32") == "fp32"]
        for sh in (shapes if per_prec else fp32 if name in SWEEPS + PER_WIDTH else [None]):
            if name in PER_WIDTH:
                threads, dyn = sh[name]["threads"], sh[name]["smem_bytes"]
            elif sh:  # the adjoint adds its score path, the probability-flow kernel has its own tile
                threads, dyn = sh["threads"], sh.get({"AdjointK": "adjoint_smem_bytes", "PfLoglikK": "pf_smem_bytes"}
                                                     .get(name, "smem_bytes"), sh["smem_bytes"])
            else:  # the flat and map kernels: 256 threads (SqNormK, SqNorm2K: 256 doubles of shared memory)
                threads, dyn = 256, 2048 if name in ("SqNormK", "SqNorm2K") else 0
            blocks, occ, limit = occupancy(k["regs"], threads, k["smem"] + dyn)
            out.append({"kernel": name, "W": sh["W"] if sh else None,
                        "tile": (sh.get("pf_tile", sh["tile"]) if name == "PfLoglikK" else sh["tile"])
                                if sh and name in SWEEPS else None,
                        "prec": sh.get("prec", "fp32") if sh and per_prec else None,
                        "threads": threads, "regs": k["regs"], "stack": k["stack"], "spill_st": k["spill_st"],
                        "spill_ld": k["spill_ld"], "static_smem": k["smem"], "dyn_smem": dyn, "blocks": blocks,
                        "occupancy": occ, "limit": limit})
    return out


def label(r):
    """The W (tile[, precision]) cell of a row: the key of the documented table."""
    if r["prec"]:
        return f"{r['W']} ({r['tile']}, {r['prec']})"
    return f"{r['W']} ({r['tile']})" if r["tile"] else (str(r["W"]) if r["W"] else "any")


def table(rs):
    lines = [BEGIN,
             "| kernel | W (tile) | threads | registers | stack | spill st/ld (B) | smem static + dynamic (B) | "
             "blocks/SM | occupancy | limited by |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rs:
        w = label(r)
        lines.append(f"| {r['kernel']} | {w} | {r['threads']} | {r['regs']} | {r['stack']} | {r['spill_st']}/"
                     f"{r['spill_ld']} | {r['static_smem']} + {r['dyn_smem']} | {r['blocks']} | "
                     f"{100 * r['occupancy']:.1f}% | {r['limit']} |")
    lines.append(END)
    return "\n".join(lines)


def documented(doc_text):
    m = re.search(re.escape(BEGIN) + "(.*?)" + re.escape(END), doc_text, re.S)
    if not m:
        return None
    out = {}
    for line in m.group(1).splitlines():
        c = [x.strip() for x in line.strip().strip("|").split("|")]
        if len(c) >= 9 and c[0] in SWEEPS:
            out[(c[0], c[1])] = float(c[8].rstrip("%")) / 100
    return out


def self_test():
    # the shape of ptxas -v output: an entry's properties, then a device function ptxas compiled
    # on its own (as the trig slow path after AdjointK), whose stack line must not be the kernel's
    text = """ptxas info    : Compiling entry function '_ZN2df11body_kernelINS_8AdjointKEEEvNT_9args_typeE' for 'sm_90'
ptxas info    : Function properties for _ZN2df11body_kernelINS_8AdjointKEEEvNT_9args_typeE
    688 bytes stack frame, 820 bytes spill stores, 2412 bytes spill loads
ptxas info    : Used 128 registers, used 1 barriers, 688 bytes cumulative stack size
ptxas info    : Compile time = 43051.914 ms
ptxas info    : Function properties for __internal_trig_reduction_slowpathd
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Compiling entry function '_ZN2df11body_kernelINS_8DiffuseKEEEvNT_9args_typeE' for 'sm_90'
ptxas info    : Function properties for _ZN2df11body_kernelINS_8DiffuseKEEEvNT_9args_typeE
    240 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 168 registers, used 1 barriers, 240 bytes cumulative stack size
ptxas info    : Compiling entry function '_ZN2df11body_kernelINS_8ReverseKEEEvNT_9args_typeE' for 'sm_90'
ptxas info    : Function properties for _ZN2df11body_kernelINS_8ReverseKEEEvNT_9args_typeE
    16 bytes stack frame, 4 bytes spill stores, 8 bytes spill loads
ptxas info    : Used 64 registers, used 1 barriers, 1024 bytes smem, 16 bytes cumulative stack size
ptxas info    : Compiling entry function '_ZN2df11body_kernelINS_9PfLoglikKEEEvNT_9args_typeE' for 'sm_90'
ptxas info    : Function properties for _ZN2df11body_kernelINS_9PfLoglikKEEEvNT_9args_typeE
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 40 registers, used 1 barriers
"""
    k = parse_ptxas(text)
    want = {"AdjointK": {"regs": 128, "stack": 688, "spill_st": 820, "spill_ld": 2412, "smem": 0},
            "DiffuseK": {"regs": 168, "stack": 240, "spill_st": 0, "spill_ld": 0, "smem": 0},
            "ReverseK": {"regs": 64, "stack": 16, "spill_st": 4, "spill_ld": 8, "smem": 1024},
            "PfLoglikK": {"regs": 40, "stack": 0, "spill_st": 0, "spill_ld": 0, "smem": 0}}
    bad = [f"{n}: parsed {k.get(n)}, want {w}" for n, w in want.items() if k.get(n) != w]
    for b in bad:
        print("kernel-report self-test: " + b)
    print(f"kernel-report self-test: {len(want)} kernels, {len(bad)} wrong")
    return 1 if bad else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True, help="the built diffflow-bench (for the launch shapes)")
    ap.add_argument("--nvcc", default=shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc")
    ap.add_argument("--ptxas-log", metavar="FILE",
                    help="ptxas's report kept by the build (build/ptxas/cuda_backend.cu.o.ptxas.txt) instead of "
                         "compiling engine/cuda_backend.cu here (compiled when FILE is missing)")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", metavar="DOC")
    g.add_argument("--check", metavar="DOC")
    a = ap.parse_args()
    if not os.path.exists(a.nvcc):
        print("kernel-report: nvcc not found, skipped")
        return 77
    shapes = [json.loads(l) for l in subprocess.run([a.bench, "shapes"], capture_output=True, text=True,
                                                    check=True).stdout.splitlines() if l.strip()]
    rs = rows(ptxas_info(a.nvcc, a.ptxas_log), shapes)
    print(table(rs))
    doc = a.write or a.check
    text = open(doc).read()
    if a.write:
        new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: table(rs), text, flags=re.S)
        if new == text and BEGIN not in text:
            sys.exit(f"kernel-report: {doc} has no kernel-report markers")
        with open(doc + ".tmp", "w") as f:
            f.write(new)
        os.replace(doc + ".tmp", doc)
        print(f"kernel-report: wrote the table into {doc}")
        return 0
    want = documented(text)
    if not want:
        sys.exit(f"kernel-report: {doc} has no documented table")
    bad = []
    for r in rs:
        if r["kernel"] not in SWEEPS:
            continue
        if r["spill_st"] or r["spill_ld"]:
            bad.append(f"{r['kernel']} spills ({r['spill_st']} B stores, {r['spill_ld']} B loads)")
        doc_occ = want.get((r["kernel"], label(r)))
        if doc_occ is None:
            bad.append(f"{r['kernel']} at W (tile) = {label(r)} is not in the documented table")
        elif r["occupancy"] + 1e-9 < doc_occ:
            bad.append(f"{r['kernel']} at W (tile) = {label(r)}: occupancy {100 * r['occupancy']:.1f}% below the documented "
                       f"{100 * doc_occ:.1f}%")
    for b in bad:
        print("kernel-report: " + b)
    print(f"kernel-report: {len(rs)} rows checked, {len(bad)} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
