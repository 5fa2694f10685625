"""diffflow from Python: Diffusion Normalizing Flow and its baselines DDPM and FFJORD as
estimators on NumPy arrays, on the same C++/CUDA engine and checkpoint files as the `diffflow`
command (docs/python.md).

    import diffflow
    model = diffflow.DiffFlow(width=64, steps=20, device="auto").fit(X, iters=1500)
    samples = model.sample(5000, seed=1)
    logp = model.log_prob(X)             # nats per point (method="ode" or "bound")
    model.save("runs/mine")              # diffflow sample --model runs/mine ... reads it
"""

from . import _core
from ._estimator import DDPM, FFJORD, DiffFlow, load, sampler_for_lam

__version__ = "0.1.0"
cuda_built = _core.cuda_built  # whether this build has the CUDA backend (device="cuda" / "auto")

__all__ = ["DiffFlow", "DDPM", "FFJORD", "load", "sampler_for_lam", "cuda_built"]
