// CPU twin of the network pass with its Jacobian trace, and its reverse (FFJORD's training
// needs the gradient of the trace: second derivatives, GELU'' appears).
//   mlp_trace_forward   y = net(x, t) (d×B, =) and tr_b = Σ_k c_kᵀ J u_k per sample (B, =), by
//                       forward-mode tangents ż_l^k, ḣ_l^k started at ż_0^k = In u_k; fills cache.
//                       Exact trace: u_k = c_k = e_k, k = 1..d (no probes given). Hutchinson:
//                       u = c = z, Rademacher probes (d×B each), the estimate averaged over them.
//   mlp_trace_backward  given ȳ (d×B) and τ̄ (B): dparams += ∂(Σ ȳ·y + τ̄·tr)/∂θ,
//                       dx = ∂(…)/∂x (=)
// Reverse of the tangent recursion, per layer l (σ = GELU):
//   ż̄_l^k = σ'(z_l) ⊙ ḣ̄_l^k,   z̄_l += σ''(z_l) ⊙ ż_l^k ⊙ ḣ̄_l^k,   z̄_l += σ'(z_l) ⊙ h̄_l
//   dH_l += z̄_l h_{l−1}ᵀ + Σ_k ż̄_l^k ḣ_{l−1}^kᵀ,   ḣ̄_{l−1}^k = H_lᵀ ż̄_l^k
// and at the input dIn[:, k] += Σ_b ż̄_0^k, dIn += z̄_0 xᵀ.
#pragma once
#include "kernels/cpu/mlp.h"

namespace df {

template <class T> struct TraceCache {
  MlpCache<T> primal;
  std::vector<std::vector<MatX<T>>> zt, ht;  // [k][l]: tangents ż_l^k, ḣ_l^k (W×B)
  std::vector<MatX<T>> probes;               // Hutchinson directions z_k (d×B); empty = exact
  T scale = T(1);                            // 1/probes for Hutchinson
};

template <class T>
void mlp_trace_forward(MatX<T>& y, VecX<T>& tr, const NetShape& s, const T* p, const MatX<T>& x,
                       const EmbedCache<T>& ec, TraceCache<T>& c) {
  const int W = s.W, d = s.d, L = s.L, B = int(x.cols());
  const bool hutch = !c.probes.empty();
  const int nt = hutch ? int(c.probes.size()) : d;
  c.scale = hutch ? T(1) / T(nt) : T(1);
  c.primal.keep_z = true;
  mlp_forward(y, s, p, x, ec, &c.primal);
  c.zt.assign(nt, std::vector<MatX<T>>(L + 1));
  c.ht.assign(nt, std::vector<MatX<T>>(L + 1));
  tr = VecX<T>::Zero(B);
  ConstRowMap<T> In(p + s.off_inw(), W, d), Out(p + s.off_outw(), d, W);
  for (int k = 0; k < nt; ++k) {
    if (hutch) c.zt[k][0] = In * c.probes[k];
    else c.zt[k][0] = In.col(k).replicate(1, B);
    c.ht[k][0] = c.zt[k][0].cwiseProduct(c.primal.gp[0]);
    for (int l = 1; l <= L; ++l) {
      c.zt[k][l] = ConstRowMap<T>(p + s.off_hw(l - 1), W, W) * c.ht[k][l - 1];
      c.ht[k][l] = c.zt[k][l].cwiseProduct(c.primal.gp[l]);
    }
    if (hutch) tr += c.scale * (c.probes[k].cwiseProduct(Out * c.ht[k][L])).colwise().sum().transpose();
    else tr += (Out.row(k) * c.ht[k][L]).transpose();
  }
}

template <class T>
void mlp_trace_backward(T* dp, Opt<MatX<T>> dx, const NetShape& s, const T* p, const MatX<T>& x,
                        const EmbedCache<T>& ec, const TraceCache<T>& c, const MatX<T>& ybar, const VecX<T>& trbar) {
  const int W = s.W, d = s.d, L = s.L;
  const bool hutch = !c.probes.empty();
  const int nt = int(c.zt.size());
  ConstRowMap<T> Out(p + s.off_outw(), d, W);
  RowMap<T> dOut(dp + s.off_outw(), d, W);
  // output layer: primal and tangents
  dOut.noalias() += ybar * c.primal.h[L].transpose();
  VecMap<T>(dp + s.off_outb(), d) += ybar.rowwise().sum();
  MatX<T> hbar = Out.transpose() * ybar;
  std::vector<MatX<T>> htbar(nt);
  for (int k = 0; k < nt; ++k) {
    if (hutch) {  // tr = scale Σ_b z_bᵀ Out ḣ_L: the cotangent of Out ḣ_L is scale·τ̄_b z_b
      MatX<T> cz = c.probes[k] * (c.scale * trbar).asDiagonal();
      dOut.noalias() += cz * c.ht[k][L].transpose();
      htbar[k] = Out.transpose() * cz;
    } else {
      dOut.row(k) += (c.ht[k][L] * trbar).transpose();
      htbar[k] = Out.row(k).transpose() * trbar.transpose();
    }
  }
  MatX<T> zbar, ztbar;
  for (int l = L; l >= 0; --l) {
    const MatX<T>& s1 = c.primal.gp[l];
    MatX<T> s2 = c.primal.z[l].unaryExpr([](T v) { return gelu_second(v); });
    zbar = hbar.cwiseProduct(s1);
    std::vector<MatX<T>> ztb(nt);
    for (int k = 0; k < nt; ++k) {
      ztb[k] = htbar[k].cwiseProduct(s1);
      zbar += s2.cwiseProduct(c.zt[k][l]).cwiseProduct(htbar[k]);
    }
    if (l >= 1) {
      ConstRowMap<T> H(p + s.off_hw(l - 1), W, W);
      RowMap<T> dH(dp + s.off_hw(l - 1), W, W);
      dH.noalias() += zbar * c.primal.h[l - 1].transpose();
      for (int k = 0; k < nt; ++k) {
        dH.noalias() += ztb[k] * c.ht[k][l - 1].transpose();
        htbar[k] = H.transpose() * ztb[k];
      }
      VecMap<T>(dp + s.off_hb(l - 1), W) += zbar.rowwise().sum();
      hbar = H.transpose() * zbar;
    } else {
      RowMap<T> dIn(dp + s.off_inw(), W, d);
      dIn.noalias() += zbar * x.transpose();
      for (int k = 0; k < nt; ++k) {
        if (hutch) dIn.noalias() += ztb[k] * c.probes[k].transpose();  // ż_0 = In z
        else dIn.col(k) += ztb[k].rowwise().sum();                      // ż_0 = In e_k
      }
      VecX<T> de = zbar.rowwise().sum();
      VecMap<T>(dp + s.off_inb(), W) += de;
      if (dx) dx->noalias() = ConstRowMap<T>(p + s.off_inw(), W, d).transpose() * zbar;
      mlp_embed_backward(dp, s, p, ec, de);
    }
  }
}

}  // namespace df
