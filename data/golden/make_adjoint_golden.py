#!/usr/bin/env python3
"""Golden file for the DiffFlow loss and gradient, by automatic differentiation.

An implementation independent of the engine: PyTorch (float64) builds the Fourier MLP of
MATH.md section 7 from the flat parameter layout of engine/params.h, unrolls the diffuse sweep
(D1) with stored noise, computes the loss (D4) with every constant, and differentiates it with
autograd through the whole trajectory. tests/test_golden.cpp reads the file without Python.

Usage: python3 data/golden/make_adjoint_golden.py > data/golden/adjoint_small.txt
Needs: python3-torch (Debian), nothing else.
"""
import math

import torch

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(20211014)

d, W, L, B, N = 2, 8, 2, 5, 7


def n_params():
    return W + W * 2 * W + W + W * W + W + W * d + W + L * (W * W + W) + d * W + d


def unpack(p):
    """Slices of the flat buffer, in the documented order (matrices row-major [out][in])."""
    out, i = {}, 0

    def take(name, *shape):
        nonlocal i
        n = math.prod(shape)
        out[name] = p[i:i + n].reshape(*shape)
        i += n

    take("phi", W)
    take("t1w", W, 2 * W); take("t1b", W)
    take("t2w", W, W); take("t2b", W)
    take("inw", W, d); take("inb", W)
    for l in range(L):
        take(f"h{l}w", W, W); take(f"h{l}b", W)
    take("outw", d, W); take("outb", d)
    assert i == p.numel()
    return out


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def net(p, x, t):
    """x: B x d, t: scalar -> B x d."""
    q = unpack(p)
    omega = torch.linspace(0.1, 100.0, W)
    a = omega * t + q["phi"]
    feat = torch.cat([torch.sin(a), torch.cos(a)])
    e = q["t2w"] @ gelu(q["t1w"] @ feat + q["t1b"]) + q["t2b"]
    h = gelu(x @ q["inw"].T + q["inb"] + e)
    for l in range(L):
        h = gelu(h @ q[f"h{l}w"].T + q[f"h{l}b"])
    return h @ q["outw"].T + q["outb"]


def main():
    n = n_params()
    pf = (torch.rand(n, generator=gen) * 2 - 1) * 0.5
    ps = (torch.rand(n, generator=gen) * 2 - 1) * 0.5
    x0 = torch.randn(B, d, generator=gen)
    # exponent grid with t_start 0.01, t_end 0.4, p 0.7; non-constant g
    a, b, pw = 0.01 ** 0.7, 0.4 ** 0.7, 0.7
    t = [(a + (b - a) * i / N) ** (1 / pw) for i in range(N + 1)]
    g = [0.6 + 1.0 * i / N for i in range(N + 1)]
    eps = torch.randn(N, B, d, generator=gen)

    pf.requires_grad_(True)
    ps.requires_grad_(True)
    x = x0
    loss = torch.zeros(B)
    F = net(pf, x, t[0])
    for i in range(N):
        dt = t[i + 1] - t[i]
        sf, sb = g[i] * math.sqrt(dt), g[i + 1] * math.sqrt(dt)
        xn = x + F * dt + sf * eps[i]
        Fn, Sn = net(pf, xn, t[i + 1]), net(ps, xn, t[i + 1])
        eta = (x - xn + (Fn - g[i + 1] ** 2 * Sn) * dt) / sb
        loss = loss + 0.5 * ((eta ** 2).sum(1) - (eps[i] ** 2).sum(1))
        x, F = xn, Fn
    loss = loss + 0.5 * (x ** 2).sum(1) + 0.5 * d * math.log(2 * math.pi) + d * math.log(g[N] / g[0])
    mean = loss.mean()
    gf, gs = torch.autograd.grad(mean, [pf, ps])

    def emit(name, values):
        vals = [float(v) for v in torch.as_tensor(values).reshape(-1)]
        print(name, len(vals), " ".join(repr(v) for v in vals))

    print(f"# DiffFlow golden: d={d} W={W} L={L} B={B} N={N}; PyTorch {torch.__version__} autograd, float64")
    emit("shape", [d, W, L, B, N])
    emit("t", t)
    emit("g", g)
    emit("params_f", pf.detach())
    emit("params_s", ps.detach())
    # states and noise sample-major (B x d row-major = the engine's d x B column-major)
    emit("x0", x0)
    emit("eps", eps)
    emit("loss_per_sample", loss.detach())
    emit("loss_mean", [mean.item()])
    emit("grad_f", gf)
    emit("grad_s", gs)


if __name__ == "__main__":
    main()
