// Per-element optimizer math, shared by the CPU loop and the CUDA kernel.
//   adam_element: one Adam step (Kingma & Ba) on p with gradient g·scale (scale carries the
//                 gradient-norm clipping factor); m, v, p updated in place (=)
//   ema_element:  e = decay·e + (1 − decay)·p                                          (=)
//   clip_scale:   the gradient's scale under norm clipping from its squared norm sq: clip / ‖g‖
//                 where clip > 0 and ‖g‖ = √sq > clip, else 1; in double, rounded once to float
//                 (the host's and the device's: IEEE √ and division, the same bits)          (=)
#pragma once
#include "kernels/math/df_hd.h"

namespace df {

struct AdamHyper {
  float lr = 1e-2f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
};

// bc1 = 1 − β1^t, bc2 = 1 − β2^t, computed once per step on the host.
DF_HD void adam_element(float* p, float* m, float* v, float g, float scale, float lr, float beta1, float beta2,
                        float eps, float bc1, float bc2) {
  using std::sqrt;
  g *= scale;
  *m = beta1 * *m + (1.0f - beta1) * g;
  *v = beta2 * *v + (1.0f - beta2) * g * g;
  float mh = *m / bc1, vh = *v / bc2;
  *p -= lr * mh / (sqrt(vh) + eps);
}

DF_HD float clip_scale(double clip, double sq) {
  using std::sqrt;
  const double gn = sqrt(sq);
  return float((clip > 0 && gn > clip) ? clip / gn : 1.0);
}

DF_HD void ema_element(float* e, float p, float decay) { *e = decay * *e + (1.0f - decay) * p; }

}  // namespace df
