#!/usr/bin/env python3
"""PyTorch port of the DiffFlow training iteration, for bench/ (PERF.md sections 3-6).

The peer the engine is measured against: written for the benchmark in the authors' structure
(MATH.md sections 2-7), not copied from their code. Two Fourier MLPs f and s (exact GELU) as
nn.Modules built from nn.Linear layers, loadable from the engine's flat parameter layout
(engine/params.h). One training iteration diffuses the batch with Euler-Maruyama (D1), accumulates the loss (D4)
with all its constants, back-propagates with autograd through the unrolled trajectory, clips the
gradient norm at 1.0 per network, takes an Adam step (lr 1e-2 for both parameter groups) and
updates an EMA of the weights (0.999). Two algorithms (--algo):
  reference  f at x_i and f and s at x_{i+1} in every step: 3 network evaluations per step, as
             the authors' code does (no sharing of F_j)
  shared     the engine's 2N+1 algorithm: F_{i+1} = f(x_{i+1}) serves both eta_i and the move of
             step i+1 (MATH.md section 4)
--compile wraps the loss in torch.compile (Inductor; on the CPU it generates C++ and takes minutes
to compile the unrolled trajectory: the compile time is reported, not timed).
The time embedding is computed once per step (t is a scalar), which only helps the port; use
--embed per-sample to embed a batch of times as the reference code does.

  parity --input FILE [--algo reference|shared]
                        FILE written by diffflow-bench (lines "name count v1 v2 ..."): shape
                        (d W L B N), t, g, params_f, params_s, x0 (B x d), eps (N x B x d).
                        Prints the batch-mean loss and both gradient norms in float64 and float32.
  time [--device cpu|cuda] [--batch B] [--steps N] [--width W] [--layers L] [--iters K]
       [--warmup K] [--threads T] [--pin] [--graph] [--algo reference|shared] [--compile]
       [--sample-batch B] [--input FILE]
                        Times training iterations (fresh torch.randn noise every step) eagerly (or
                        compiled) and, with --graph on CUDA, captured whole in a CUDA graph; then
                        sampling (the reverse SDE, N steps). CPU: time.perf_counter; CUDA: torch.cuda.Event.
                        Medians. Without --input: default nn init and N(0, I) data.
Both modes print one JSON object (flat keys) on stdout; progress goes to stderr.
Exit codes: 0 ok, 2 bad usage, 3 torch cannot be imported, 4 the device is not available.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as tnf
except Exception as exc:  # ImportError, or a broken installation
    print(f"torch_port: torch is not available ({type(exc).__name__}: {exc})".splitlines()[0], file=sys.stderr)
    sys.exit(3)


class FourierMLP(torch.nn.Module):
    """f(x, t): a = omega t + phi; e = t2(GELU(t1([sin a, cos a]))); h = GELU(in(x) + e); L hidden."""

    def __init__(self, d, W, L):
        super().__init__()
        self.d, self.W, self.L = d, W, L
        # float64, so that .to(dtype) rounds it once (as the engine computes it in its own scalar)
        self.register_buffer("omega", torch.linspace(0.1, 100.0, W, dtype=torch.float64))
        self.phi = torch.nn.Parameter(torch.empty(W).uniform_(-math.pi, math.pi))
        self.t1, self.t2 = torch.nn.Linear(2 * W, W), torch.nn.Linear(W, W)
        self.inp = torch.nn.Linear(d, W)
        self.hidden = torch.nn.ModuleList(torch.nn.Linear(W, W) for _ in range(L))
        self.out = torch.nn.Linear(W, d)

    def load_flat(self, p):
        """Copies a flat buffer in the layout of engine/params.h (matrices row-major [out][in])."""
        p = torch.as_tensor(p, dtype=torch.float64)
        i = 0

        def take(dst):
            nonlocal i
            n = dst.numel()
            with torch.no_grad():
                dst.copy_(p[i:i + n].reshape(dst.shape))
            i += n

        take(self.phi)
        for lin in [self.t1, self.t2, self.inp, *self.hidden, self.out]:
            take(lin.weight)
            take(lin.bias)
        if i != p.numel():
            raise ValueError(f"flat buffer has {p.numel()} values, the network needs {i}")

    def forward(self, x, t):
        a = self.omega * t + self.phi  # t: float -> (W,), or (B, 1) -> (B, W)
        e = self.t2(tnf.gelu(self.t1(torch.cat([torch.sin(a), torch.cos(a)], -1))))
        h = tnf.gelu(self.inp(x) + e)
        for lin in self.hidden:
            h = tnf.gelu(lin(h))
        return self.out(h)


def exponent_grid(N, t_start=0.001, t_end=0.05, p=0.9, g=0.2):
    a, b = t_start ** p, t_end ** p
    return [(a + (b - a) * i / N) ** (1.0 / p) for i in range(N + 1)], [g] * (N + 1)


def mean_loss(f, s, x0, t, g, noise, tt=lambda v: v, shared=False):
    """Batch mean of (D4) over the unrolled Euler-Maruyama trajectory; noise(i) -> B x d.
    shared: reuse f(x_{i+1}) as the next step's drift (2N+1 evaluations instead of 3N)."""
    B, d = x0.shape
    N = len(t) - 1
    x, loss = x0, torch.zeros(B, dtype=x0.dtype, device=x0.device)
    F = f(x, tt(t[0])) if shared else None
    for i in range(N):
        dt = t[i + 1] - t[i]
        sf, sb, g2 = g[i] * math.sqrt(dt), g[i + 1] * math.sqrt(dt), g[i + 1] ** 2
        eps = noise(i)
        xn = x + (F if shared else f(x, tt(t[i]))) * dt + sf * eps
        Fn, Sn = f(xn, tt(t[i + 1])), s(xn, tt(t[i + 1]))
        eta = (x - xn + (Fn - g2 * Sn) * dt) / sb
        loss = loss + 0.5 * ((eta ** 2).sum(1) - (eps ** 2).sum(1))
        x, F = xn, Fn
    const = 0.5 * d * math.log(2 * math.pi) + d * math.log(g[N] / g[0])
    return (loss + 0.5 * (x ** 2).sum(1) + const).mean()


def read_input(path):
    vals = {}
    with open(path) as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            name, n, *rest = line.split()
            if len(rest) != int(n):
                raise ValueError(f"{path}: {name}: {len(rest)} values, expected {n}")
            vals[name] = [float(v) for v in rest]
    d, W, L, B, N = (int(v) for v in vals["shape"])
    return vals, d, W, L, B, N


def grad_norm(net):
    return math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in net.parameters()))


def cmd_parity(a):
    vals, d, W, L, B, N = read_input(a.input)
    out = {"mode": "parity", "torch_version": torch.__version__, "algo": a.algo, "d": d, "W": W, "L": L, "B": B, "N": N}
    for dtype, tag in [(torch.float64, "f64"), (torch.float32, "f32")]:
        f, s = FourierMLP(d, W, L).to(dtype), FourierMLP(d, W, L).to(dtype)
        f.load_flat(vals["params_f"])
        s.load_flat(vals["params_s"])
        x0 = torch.tensor(vals["x0"], dtype=dtype).reshape(B, d)
        eps = torch.tensor(vals["eps"], dtype=dtype).reshape(N, B, d)
        loss = mean_loss(f, s, x0, vals["t"], vals["g"], lambda i: eps[i], shared=a.algo == "shared")
        loss.backward()
        out.update({f"{tag}_loss": loss.item(), f"{tag}_grad_norm_f": grad_norm(f), f"{tag}_grad_norm_s": grad_norm(s)})
    print(json.dumps(out))
    return 0


class Trainer:
    """One training iteration: loss, backward, clip per network, Adam, EMA."""

    def __init__(self, f, s, x0, t, g, capturable=False, embed="per-step", shared=False, compile_loss=False):
        self.f, self.s, self.x0, self.t, self.g = f, s, x0, t, g
        self.params = list(f.parameters()) + list(s.parameters())
        self.opt = torch.optim.Adam([{"params": f.parameters(), "lr": 1e-2}, {"params": s.parameters(), "lr": 1e-2}],
                                    capturable=capturable)
        self.ema = [p.detach().clone() for p in self.params]
        B, dev = x0.shape[0], x0.device
        self.tt = (lambda v: torch.full((B, 1), v, device=dev)) if embed == "per-sample" else (lambda v: v)
        self.shared = shared
        self.loss = lambda: mean_loss(self.f, self.s, self.x0, self.t, self.g,
                                      lambda i: torch.randn(self.x0.shape, device=self.x0.device), self.tt, self.shared)
        if compile_loss:
            self.loss = torch.compile(self.loss)

    def step(self, zero_grad=True):
        if zero_grad:
            self.opt.zero_grad(set_to_none=True)
        loss = self.loss()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.f.parameters(), 1.0)
        torch.nn.utils.clip_grad_norm_(self.s.parameters(), 1.0)
        self.opt.step()
        with torch.no_grad():
            torch._foreach_mul_(self.ema, 0.999)
            torch._foreach_add_(self.ema, self.params, alpha=0.001)
        return loss


@torch.no_grad()
def sample(f, s, B, d, t, g, dev):
    """Reverse SDE (D2) from x_N ~ N(0, I); the last step returns the noise-free mean."""
    x = torch.randn(B, d, device=dev)
    for i in reversed(range(len(t) - 1)):
        dt = t[i + 1] - t[i]
        mean = x - (f(x, t[i + 1]) - g[i + 1] ** 2 * s(x, t[i + 1])) * dt
        x = mean + g[i + 1] * math.sqrt(dt) * torch.randn_like(x) if i > 0 else mean
    return x


def timed(fn, iters, warmup, cuda):
    """Median and min of per-call times in ms (CUDA events on the GPU, perf_counter on the CPU)."""
    for _ in range(warmup):
        fn()
    ms = []
    for _ in range(iters):
        if cuda:
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            e0.record()
            fn()
            e1.record()
            torch.cuda.synchronize()
            ms.append(e0.elapsed_time(e1))
        else:
            t0 = time.perf_counter()
            fn()
            ms.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(ms), min(ms)


def peer_blas(B, W, dev, cuda):
    """The BLAS torch was built with, and its fp32 GFLOP/s on one B x W @ W x W product."""
    info = torch.__config__.show()
    blas = next((w.split("=", 1)[1].rstrip(",") for w in info.split() if w.startswith("BLAS_INFO=")), "unknown")
    x, w = torch.randn(B, W, device=dev), torch.randn(W, W, device=dev)
    med, _ = timed(lambda: x @ w, 20, 3, cuda)
    return blas, 2.0 * B * W * W / (med / 1e3) / 1e9


def pin_threads(n):
    """Restricts this process to n of the CPUs it may use (the engine's run uses the same ones)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) > n:
            os.sched_setaffinity(0, cpus[:n])
    except (AttributeError, OSError):
        pass


def cmd_time(a):
    cuda = a.device == "cuda"
    if cuda and not torch.cuda.is_available():
        print("torch_port: --device cuda: torch sees no CUDA device (or was built without CUDA)", file=sys.stderr)
        return 4
    dev = torch.device(a.device)
    if not cuda and a.pin:
        pin_threads(a.threads)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d, W, L, B, N = 2, a.width, a.layers, a.batch, a.steps
    t, g = exponent_grid(N)
    pf = ps = x0_vals = None
    if a.input:
        vals, d, W, L, B, N = read_input(a.input)
        t, g, pf, ps, x0_vals = vals["t"], vals["g"], vals["params_f"], vals["params_s"], vals["x0"]

    def nets():
        f, s = FourierMLP(d, W, L), FourierMLP(d, W, L)
        if pf is not None:
            f.load_flat(pf)
            s.load_flat(ps)
        return f.to(dev, torch.float32), s.to(dev, torch.float32)

    x0 = (torch.tensor(x0_vals).reshape(B, d) if x0_vals else torch.randn(B, d)).float().to(dev)
    out = {"mode": "time", "torch_version": torch.__version__, "algo": a.algo, "compiled": a.compile,
           "device": a.device, "threads": torch.get_num_threads(),
           "device_name": torch.cuda.get_device_name() if cuda else "cpu", "embed": a.embed, "d": d, "batch": B,
           "steps": N, "width": W, "layers": L, "iters": a.iters, "warmup": a.warmup}
    out["blas"], out["matmul_gflop_per_s"] = peer_blas(B, W, dev, cuda)
    kind = "compiled" if a.compile else "eager"
    print(f"torch_port: {kind} training ({a.algo}), B={B} N={N} W={W} L={L} on {a.device}", file=sys.stderr)
    tr = Trainer(*nets(), x0, t, g, embed=a.embed, shared=a.algo == "shared", compile_loss=a.compile)
    if a.compile:
        t0 = time.perf_counter()
        tr.step()
        out["compile_s"] = time.perf_counter() - t0
        print(f"torch_port: torch.compile took {out['compile_s']:.1f} s", file=sys.stderr)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    last = {}
    med, mn = timed(lambda: last.update(loss=tr.step()), a.iters, a.warmup, cuda)
    out.update(eager_ms_median=med, eager_ms_min=mn, eager_it_per_s=1e3 / med, final_loss=float(last["loss"].detach()))
    out["eager_peak_mem_bytes"] = torch.cuda.max_memory_allocated() if cuda else None
    out.update(graph_status="not requested" if not a.graph else "", graph_ms_median=None, graph_it_per_s=None,
               graph_peak_mem_bytes=None)
    if a.graph and not cuda:
        out["graph_status"] = "not available on the CPU"
    elif a.graph:
        print("torch_port: capturing the whole iteration in a CUDA graph", file=sys.stderr)
        try:
            del tr
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            tg = Trainer(*nets(), x0, t, g, capturable=True, embed=a.embed)
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # warm-up (allocator, Adam state) off the capture stream
                for _ in range(3):
                    tg.step()
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            tg.opt.zero_grad(set_to_none=True)
            with torch.cuda.graph(graph):
                static_loss = tg.step(zero_grad=False)
            med, mn = timed(graph.replay, a.iters, a.warmup, cuda)
            out.update(graph_status="ok", graph_ms_median=med, graph_ms_min=mn, graph_it_per_s=1e3 / med,
                       graph_peak_mem_bytes=torch.cuda.max_memory_allocated(), graph_final_loss=float(static_loss))
        except Exception as exc:  # capture is fragile across torch versions: report and go on
            msg = f"capture failed: {type(exc).__name__}: {exc}".splitlines()[0][:300]
            print(f"torch_port: CUDA graph {msg}; graph timing skipped (eager numbers stand)", file=sys.stderr)
            out["graph_status"] = msg
    sb = a.sample_batch or B
    print(f"torch_port: sampling, B={sb} N={N}", file=sys.stderr)
    f, s = nets()
    if a.compile:
        f, s = torch.compile(f), torch.compile(s)
    reps = max(3, min(a.iters, 10))
    med, _ = timed(lambda: sample(f, s, sb, d, t, g, dev), reps, 1, cuda)
    out.update(sample_batch=sb, sample_ms_median=med, sample_samples_per_s=sb / (med / 1e3))
    print(json.dumps(out))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("parity")
    p.add_argument("--input", required=True)
    for sp in (p,):
        sp.add_argument("--algo", choices=["reference", "shared"], default="reference")
    q = sub.add_parser("time")
    q.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    for name, dflt in [("batch", 1000), ("steps", 30), ("width", 128), ("layers", 3), ("iters", 5), ("warmup", 1),
                       ("threads", 1), ("sample-batch", 0), ("seed", 0)]:
        q.add_argument(f"--{name}", type=int, default=dflt)
    q.add_argument("--graph", action="store_true")
    q.add_argument("--algo", choices=["reference", "shared"], default="reference")
    q.add_argument("--compile", action="store_true")
    q.add_argument("--pin", action="store_true", help="restrict to --threads CPUs (CPU runs)")
    q.add_argument("--embed", choices=["per-step", "per-sample"], default="per-step")
    q.add_argument("--input")
    a = ap.parse_args()
    return cmd_parity(a) if a.mode == "parity" else cmd_time(a)


if __name__ == "__main__":
    sys.exit(main())
