#!/usr/bin/env python3
"""JAX port of the DiffFlow training iteration, a CPU peer for `diffflow-bench speed` (PERF.md section 6).

Written for the benchmark from MATH.md (sections 2-7), with the same command line and JSON keys as
bench/torch_port.py: two Fourier MLPs f and s (exact GELU), the engine's 2N+1 algorithm (F_{i+1}
serves eta_i and the next move) as one jax.lax.scan over the N steps, the loss (D4) with all its
constants, jax.value_and_grad through the scan, gradient clipping at 1.0 per network, Adam
(lr 1e-2, written out: no optax) and an EMA of the weights (0.999), the whole iteration one
jax.jit. Sampling: the reverse SDE (D2) as another scan.

  parity --input FILE   the file diffflow-bench writes (shape, t, g, params_f, params_s, x0, eps);
                        prints the batch-mean loss and both gradient norms in float64 and float32.
  time [--batch B] [--steps N] [--width W] [--layers L] [--iters K] [--warmup K] [--threads T]
       [--pin] [--sample-batch B] [--seed S] [--input FILE]
                        Times jitted training iterations (compilation excluded and reported) and
                        sampling on the CPU. Threads: XLA's CPU client is limited with XLA_FLAGS
                        and the process is pinned to T CPUs (--pin).
Exit codes: 0 ok, 2 bad usage, 3 jax cannot be imported.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def pin_threads(n):
    try:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) > n:
            os.sched_setaffinity(0, cpus[:n])
    except (AttributeError, OSError):
        pass


def setup(threads, pin, x64):
    if pin:
        pin_threads(threads)
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    os.environ["XLA_FLAGS"] = flags.strip()
    try:
        import jax
    except Exception as exc:
        print(f"jax_port: jax is not available ({type(exc).__name__}: {exc})".splitlines()[0], file=sys.stderr)
        sys.exit(3)
    jax.config.update("jax_platforms", "cpu")
    if x64:
        jax.config.update("jax_enable_x64", True)
    return jax


def build(jax, d, W, L, dtype):
    jnp = jax.numpy
    omega = jnp.linspace(0.1, 100.0, W, dtype=jnp.float64 if dtype == "float64" else jnp.float32)

    def gelu(v):
        return jax.nn.gelu(v, approximate=False)

    def mlp(p, x, t):
        a = omega * t + p["phi"]
        e = p["t2w"] @ gelu(p["t1w"] @ jnp.concatenate([jnp.sin(a), jnp.cos(a)]) + p["t1b"]) + p["t2b"]
        h = gelu(x @ p["inw"].T + p["inb"] + e)
        for l in range(L):
            h = gelu(h @ p["hw"][l].T + p["hb"][l])
        return h @ p["outw"].T + p["outb"]

    def from_flat(flat):
        """The engine's flat layout (engine/params.h): matrices row-major [out][in]."""
        flat = jnp.asarray(flat, dtype=omega.dtype)
        i = 0

        def take(*shape):
            nonlocal i
            n = math.prod(shape)
            v = flat[i:i + n].reshape(shape)
            i += n
            return v

        p = {"phi": take(W), "t1w": take(W, 2 * W), "t1b": take(W), "t2w": take(W, W), "t2b": take(W),
             "inw": take(W, d), "inb": take(W), "hw": [], "hb": []}
        for _ in range(L):
            p["hw"].append(take(W, W))
            p["hb"].append(take(W))
        p["outw"], p["outb"] = take(d, W), take(d)
        if i != flat.shape[0]:
            raise ValueError(f"flat buffer has {flat.shape[0]} values, the network needs {i}")
        return p

    def loss_fn(pf, ps, x0, t, g, eps_of):
        N = t.shape[0] - 1
        dts = t[1:] - t[:-1]

        def body(carry, i):
            x, F, loss = carry
            dt = dts[i]
            sf, sb, g2 = g[i] * jnp.sqrt(dt), g[i + 1] * jnp.sqrt(dt), g[i + 1] ** 2
            eps = eps_of(i)
            xn = x + F * dt + sf * eps
            Fn, Sn = mlp(pf, xn, t[i + 1]), mlp(ps, xn, t[i + 1])
            eta = (x - xn + (Fn - g2 * Sn) * dt) / sb
            return (xn, Fn, loss + 0.5 * ((eta ** 2).sum(1) - (eps ** 2).sum(1))), None

        init = (x0, mlp(pf, x0, t[0]), jnp.zeros(x0.shape[0], dtype=x0.dtype))
        (x, _, loss), _ = jax.lax.scan(body, init, jnp.arange(N))
        const = 0.5 * d * math.log(2 * math.pi) + d * jnp.log(g[N] / g[0])
        return (loss + 0.5 * (x ** 2).sum(1) + const).mean()

    return mlp, from_flat, loss_fn


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


def tree_norm(jax, tree):
    return math.sqrt(sum(float((leaf.astype("float64") ** 2).sum()) for leaf in jax.tree_util.tree_leaves(tree)))


def cmd_parity(a):
    jax = setup(1, False, True)
    jnp = jax.numpy
    vals, d, W, L, B, N = read_input(a.input)
    out = {"mode": "parity", "jax_version": jax.__version__, "algo": "shared", "d": d, "W": W, "L": L, "B": B, "N": N}
    for dtype, tag in [("float64", "f64"), ("float32", "f32")]:
        _, from_flat, loss_fn = build(jax, d, W, L, dtype)
        pf, ps = from_flat(vals["params_f"]), from_flat(vals["params_s"])
        x0 = jnp.asarray(vals["x0"], dtype=dtype).reshape(B, d)
        eps = jnp.asarray(vals["eps"], dtype=dtype).reshape(N, B, d)
        t, g = jnp.asarray(vals["t"], dtype=dtype), jnp.asarray(vals["g"], dtype=dtype)
        loss, (gf, gs) = jax.value_and_grad(lambda p, q: loss_fn(p, q, x0, t, g, lambda i: eps[i]), argnums=(0, 1))(pf, ps)
        out.update({f"{tag}_loss": float(loss), f"{tag}_grad_norm_f": tree_norm(jax, gf),
                    f"{tag}_grad_norm_s": tree_norm(jax, gs)})
    print(json.dumps(out))
    return 0


def exponent_grid(N, t_start=0.001, t_end=0.05, p=0.9, g=0.2):
    a, b = t_start ** p, t_end ** p
    return [(a + (b - a) * i / N) ** (1.0 / p) for i in range(N + 1)], [g] * (N + 1)


def timed(fn, iters, warmup):
    for _ in range(warmup):
        fn()
    ms = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ms.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(ms), min(ms)


def cmd_time(a):
    jax = setup(a.threads, a.pin, False)
    jnp = jax.numpy
    d, W, L, B, N = 2, a.width, a.layers, a.batch, a.steps
    t, g = exponent_grid(N)
    vals = None
    if a.input:
        vals, d, W, L, B, N = read_input(a.input)
        t, g = vals["t"], vals["g"]
    mlp, from_flat, loss_fn = build(jax, d, W, L, "float32")
    key = jax.random.PRNGKey(a.seed)
    if vals:
        pf, ps = from_flat(vals["params_f"]), from_flat(vals["params_s"])
        x0 = jnp.asarray(vals["x0"], dtype="float32").reshape(B, d)
    else:
        k1, k2, k3 = jax.random.split(key, 3)
        n = W + 2 * W * W + W + W * W + W + W * d + W + L * (W * W + W) + d * W + d
        pf = from_flat(0.05 * jax.random.normal(k1, (n,)))
        ps = from_flat(0.05 * jax.random.normal(k2, (n,)))
        x0 = jax.random.normal(k3, (B, d))
    tj, gj = jnp.asarray(t, dtype="float32"), jnp.asarray(g, dtype="float32")
    out = {"mode": "time", "jax_version": jax.__version__, "algo": "shared", "device": "cpu", "threads": a.threads,
           "device_name": "cpu", "d": d, "batch": B, "steps": N, "width": W, "layers": L, "iters": a.iters,
           "warmup": a.warmup}
    xm, wm = jax.random.normal(key, (B, W)), jax.random.normal(key, (W, W))
    mm = jax.jit(lambda u, v: u @ v)
    jax.block_until_ready(mm(xm, wm))
    med, _ = timed(lambda: jax.block_until_ready(mm(xm, wm)), 20, 3)
    out["blas"], out["matmul_gflop_per_s"] = "xla", 2.0 * B * W * W / (med / 1e3) / 1e9

    def clip(tree):
        n = jnp.sqrt(sum((leaf ** 2).sum() for leaf in jax.tree_util.tree_leaves(tree)))
        return jax.tree_util.tree_map(lambda v: v * jnp.minimum(1.0, 1.0 / (n + 1e-6)), tree)

    @jax.jit
    def step(state, it):
        params, m, v, ema = state
        k = jax.random.fold_in(key, it)
        loss, grads = jax.value_and_grad(
            lambda p: loss_fn(p[0], p[1], x0, tj, gj, lambda i: jax.random.normal(jax.random.fold_in(k, i), x0.shape)))(params)
        grads = (clip(grads[0]), clip(grads[1]))
        b1, b2, lr, e = 0.9, 0.999, 1e-2, 1e-8
        tt = it + 1
        m = jax.tree_util.tree_map(lambda a_, g_: b1 * a_ + (1 - b1) * g_, m, grads)
        v = jax.tree_util.tree_map(lambda a_, g_: b2 * a_ + (1 - b2) * g_ * g_, v, grads)
        params = jax.tree_util.tree_map(
            lambda p, m_, v_: p - lr * (m_ / (1 - b1 ** tt)) / (jnp.sqrt(v_ / (1 - b2 ** tt)) + e), params, m, v)
        ema = jax.tree_util.tree_map(lambda a_, p: 0.999 * a_ + 0.001 * p, ema, params)
        return (params, m, v, ema), loss

    zeros = jax.tree_util.tree_map(jnp.zeros_like, (pf, ps))
    state = [((pf, ps), zeros, zeros, (pf, ps))]
    print(f"jax_port: jit training (2N+1 scan), B={B} N={N} W={W} L={L}, {a.threads} thread(s)", file=sys.stderr)
    t0 = time.perf_counter()
    jax.block_until_ready(step(state[0], 0))
    out["compile_s"] = time.perf_counter() - t0
    counter = [1]
    last = {}

    def one():
        state[0], loss = step(state[0], counter[0])
        counter[0] += 1
        last["loss"] = float(jax.block_until_ready(loss))

    med, mn = timed(one, a.iters, a.warmup)
    out.update(eager_ms_median=med, eager_ms_min=mn, eager_it_per_s=1e3 / med, final_loss=last["loss"],
               eager_peak_mem_bytes=None, graph_status="not applicable (jit)", graph_ms_median=None,
               graph_it_per_s=None, graph_peak_mem_bytes=None)

    sb = a.sample_batch or B
    dts = [t[i + 1] - t[i] for i in range(N)]

    @jax.jit
    def sample(k):
        x = jax.random.normal(k, (sb, d))

        def body(x, i):  # i = N-1 .. 0
            dt = jnp.asarray(dts, dtype="float32")[i]
            mean = x - (mlp(pf, x, tj[i + 1]) - gj[i + 1] ** 2 * mlp(ps, x, tj[i + 1])) * dt
            noise = gj[i + 1] * jnp.sqrt(dt) * jax.random.normal(jax.random.fold_in(k, i), x.shape)
            return jnp.where(i > 0, mean + noise, mean), None

        x, _ = jax.lax.scan(body, x, jnp.arange(N - 1, -1, -1))
        return x

    jax.block_until_ready(sample(key))
    print(f"jax_port: sampling, B={sb} N={N}", file=sys.stderr)
    med, _ = timed(lambda: jax.block_until_ready(sample(key)), max(3, min(a.iters, 10)), 1)
    out.update(sample_batch=sb, sample_ms_median=med, sample_samples_per_s=sb / (med / 1e3))
    print(json.dumps(out))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("parity")
    p.add_argument("--input", required=True)
    p.add_argument("--algo", choices=["shared"], default="shared")
    q = sub.add_parser("time")
    q.add_argument("--device", choices=["cpu"], default="cpu")
    for name, dflt in [("batch", 1000), ("steps", 30), ("width", 128), ("layers", 3), ("iters", 5), ("warmup", 1),
                       ("threads", 1), ("sample-batch", 0), ("seed", 0)]:
        q.add_argument(f"--{name}", type=int, default=dflt)
    q.add_argument("--algo", choices=["shared"], default="shared")
    q.add_argument("--pin", action="store_true")
    q.add_argument("--input")
    a = ap.parse_args()
    return cmd_parity(a) if a.mode == "parity" else cmd_time(a)


if __name__ == "__main__":
    sys.exit(main())
