# A notebook-style tour of the Python package (cells in the `# %%` format that Jupyter, VS Code
# and jupytext open as a notebook; run as a script it is the same). Small on purpose: it trains
# for seconds on two CPU cores. tests/python/test_docs.py runs it.

# %% [markdown]
# # diffflow from Python: a ring, three models, two samplers
#
# Points on a noisy ring, a DiffFlow model trained on them, its two samplers (the reverse SDE,
# lam=1, and the probability flow, lam=0), its likelihoods, and the two baselines on the same data.

# %%
import os
import tempfile

import numpy as np

import diffflow

rng = np.random.default_rng(0)
theta = rng.uniform(0, 2 * np.pi, 3000)
X = np.c_[np.cos(theta), np.sin(theta)] * (1 + 0.05 * rng.normal(size=(3000, 1)))
X = np.asfortranarray(X.astype(np.float32))  # any layout: float32 in Fortran order is read in place

# %%
model = diffflow.DiffFlow(width=32, layers=2, steps=10, batch=256, seed=0, device="auto", progress=False)
model.fit(X, iters=400)
print(model, "on", model.device_info_)
print("loss: first 20 iterations %.3f, last 20 %.3f" % (np.mean(model.loss_curve_[:20]), np.mean(model.loss_curve_[-20:])))

# %% [markdown]
# The samplers: the same noise seed, two samplers. On the ring, a sample's distance from the
# center should be near 1.

# %%
sde = model.sample(2000, seed=1)             # lam=1: the reverse SDE
flow = model.sample(2000, seed=1, lam=0.0)   # lam=0: the probability-flow ODE
for name, s in (("reverse SDE", sde), ("probability flow", flow)):
    r = np.hypot(s[:, 0], s[:, 1])
    print("%-16s radius %.3f +- %.3f" % (name, r.mean(), r.std()))

# %% [markdown]
# Likelihoods in nats per point, in the data's coordinates: the ODE's (exact trace) and the ELBO
# (a lower bound). The ring's center, far from every point, is much less likely.

# %%
held_out = np.c_[np.cos(theta[:500] + 0.01), np.sin(theta[:500] + 0.01)]
print("log p(ring):   ODE %.3f, ELBO %.3f" % (model.score(held_out), model.log_prob(held_out, method="bound").mean()))
print("log p(center): ODE %.3f" % model.log_prob(np.zeros((1, 2)))[0])

# %% [markdown]
# Save, load: the same files as `diffflow train` writes, so `diffflow sample --model DIR` and
# `diffflow eval --model DIR` read them.

# %%
run = os.path.join(tempfile.mkdtemp(), "ring")
model.save(run)
again = diffflow.load(run)
assert np.array_equal(again.sample(100, seed=3), model.sample(100, seed=3))
print("saved to", run, "->", sorted(os.listdir(run)))

# %% [markdown]
# The baselines on the same data and networks.

# %%
for cls in (diffflow.DDPM, diffflow.FFJORD):
    m = cls(width=32, layers=2, batch=256, seed=0, device="auto", progress=False).fit(X, iters=200)
    print("%-6s log p(ring) %.3f" % (cls.__name__, m.score(held_out)))
