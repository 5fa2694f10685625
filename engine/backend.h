// The Backend interface: what the host layer asks of a device, at the level of a sweep
// (GUIDE.md). Buffers are owned by the backend (host memory for the CPU backend, device memory
// for CUDA); the host moves data in and out with upload/download and keeps nothing else on the
// device side. Every sweep takes the noise key, so two backends given the same inputs and key
// compute the same numbers.
//
//   diffflow_loss_grad  diffuse + adjoint sweeps; grads (=) of the batch-mean loss; returns it
//   diffflow_loss       diffuse sweep only; per-sample loss (D4) to the host
//   reverse_sweep       x: x_N in, x_0 out (the λ family of engine/sampler.h, Tweedie's step)
//   pf_loglik           probability-flow ODE log-likelihood per sample (double on the host)
//   grad_sq_norm        Σ g² of a buffer
//   adam_update         Adam with gradient scale (clipping), step t (1-based)
//   ema_update          e = decay e + (1 − decay) p
//   train_step          one training iteration: train_loss_grad, both gradients' norms, Adam
//                       (clipped) and EMA for the networks that train; the loss and the norms back
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "engine/grid.h"
#include "engine/model_family.h"
#include "engine/ode_options.h"
#include "engine/sampler.h"
#include "engine/params.h"
#include "kernels/cuda/precision.h"
#include "kernels/math/adam.h"
#include "kernels/math/philox.h"

namespace df {
namespace emu {
struct CountLog;  // kernels/emu/emu_counts.h
}

// A model family and its fixed parts (engine/model_kind.h).
struct ModelDesc {
  NetShape shape;
  ModelKind kind = ModelKind::DiffFlow;
  VpSchedule vp;          // DDPM
  double t_min = 1e-3;    // DDPM: training times t ~ U(t_min, 1)
  double tol = 1e-5;      // FFJORD: Dormand–Prince tolerance for evaluation
};

struct Buf {
  float* ptr = nullptr;
  std::size_t n = 0;
};

// One network's buffers and settings in a training iteration (Backend::train_step).
struct StepNet {
  Buf *p = nullptr, *g = nullptr, *m = nullptr, *v = nullptr, *ema = nullptr;
  bool trains = true;  // false: the family has no such network (DDPM: drift, FFJORD: score)
  float lr = 0.f;
};
// The optimizer's settings of one iteration: Adam's step t (1-based), clipping of each gradient
// to norm `clip` (0: none), the EMA's decay.
struct StepHyper {
  AdamHyper adam;  // its lr is ignored: StepNet::lr
  long step = 1;
  double clip = 0;
  float ema = 0.999f;
};
// What an iteration hands back: the batch-mean loss and ‖g‖ of both networks' gradients.
struct StepOutcome {
  double loss = 0, gn[2] = {0, 0};
};

// Where the work runs: the CPU backend, a CUDA device, the emulated device (the CUDA backend's
// own code on host memory and the block emulator: slow, exact, for tests and for checking a
// change without a GPU), or the best present (a CUDA device, else the CPU).
enum class Device { Cpu, Cuda, Emu, Auto };

// How a device backend runs (the CPU backend reads none of it but the precision, which it
// refuses unless fp32).
struct BackendOptions {
  MatPrecision precision = MatPrecision::FP32;  // operands of the network products
  bool force_layerwise = false;                 // every shape on the layer-wise path
  int layerwise_chunk = 16384;                  // samples per chunk of the layer-wise path
  int tile_samples = 0;                         // samples per tile of the fused kernels; 0: pick_tile (<= 40, balanced)
  int block_threads = 0;                        // threads per block of the tile kernels; 0: 256
  int emu_sms = 3;                              // the emulated device's SMs (persistent blocks of a sweep)
  std::size_t emu_smem_optin = 0;               // the emulated device's shared memory per block; 0: 227 KB
  emu::CountLog* emu_log = nullptr;             // the emulated device's cost-model record (emu_device.h)
  bool graphs = true;                           // a DiffFlow training iteration as one captured graph
                                                // (train_step, engine/device_backend.h); false: launched
                                                // one by one, the same work and numbers
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  // Matrix-operand precision of the network passes: FP32 (default), TF32 or BF16 (operands
  // rounded, fp32 states, loss and accumulation). The CPU backend computes in fp32 only and
  // refuses the others with an InputError.
  virtual void set_precision(MatPrecision p);
  // What the work runs on, in words (the CPU model, the GPU's name, the emulated device).
  virtual std::string device_name() const { return name(); }
  // Device memory, as cudaMemGetInfo reports it; false where there is no device memory (CPU).
  virtual bool memory_info(std::size_t* free_bytes, std::size_t* total_bytes) {
    (void)free_bytes;
    (void)total_bytes;
    return false;
  }
  // Waits for the work queued so far (a no-op where everything is synchronous).
  virtual void sync() {}
  // The working memory, in bytes, one train_loss_grad call of batch B on an N-step grid with
  // checkpoint interval K takes beyond the parameters, gradients and optimizer state: states,
  // network caches and scratch (device memory for a device backend, host memory for the CPU).
  // The device backend's DiffFlow and DDPM figures are its allocations exactly; the CPU
  // backend's and FFJORD's are estimates from the sizes of their caches. 0: not known.
  virtual std::size_t train_bytes(const ModelDesc& m, int B, int N, int K) const {
    (void)m, (void)B, (void)N, (void)K;
    return 0;
  }

  virtual Buf alloc(std::size_t n) = 0;  // zero-filled
  virtual void release(Buf& b) = 0;
  virtual void upload(Buf& dst, const float* host, std::size_t n) = 0;
  virtual void download(float* host, const Buf& src, std::size_t n) = 0;

  // x0 is d×B column-major (sample b at x0.ptr + b·d).
  virtual double diffflow_loss_grad(Buf& gf, Buf& gs, const Buf& pf, const Buf& ps, const NetShape& shape,
                                    const Buf& x0, int B, const TimeGrid& grid, NoiseKey key, int K) = 0;
  virtual void diffflow_loss(std::vector<double>& loss, const Buf& pf, const Buf& ps, const NetShape& shape,
                             const Buf& x0, int B, const TimeGrid& grid, NoiseKey key) = 0;
  virtual void reverse_sweep(Buf& x, const Buf& pf, const Buf& ps, const NetShape& shape, int B,
                             const TimeGrid& grid, NoiseKey key, const Sampler& smp) = 0;
  virtual void pf_loglik(std::vector<double>& logp, const Buf& pf, const Buf& ps, const NetShape& shape,
                         const Buf& x0, int B, const TimeGrid& grid, const GSchedule& g,
                         const OdeOptions& opt) = 0;

  // Model-level entry points for all three families. DiffFlow goes to the sweeps above; DDPM and
  // FFJORD have default implementations here that run the CPU reference on host copies (direct
  // for the CPU backend, whose buffers are host memory; a device backend may override them: the
  // CUDA backend runs all four for DDPM on the device).
  //   train_loss_grad  mean training loss (DiffFlow −ELBO, DDPM denoising, FFJORD NLL); grads =
  //   bound            per-sample −ELBO (D4) on the grid (DiffFlow, DDPM); FFJORD: its exact NLL
  //                    with fixed-step RK4 on the grid
  //   sample           x: noise in, samples out (FFJORD: RK4 back along the grid, or Dormand–Prince
  //                    at smp.ode_tol); returns the network evaluations per sample (passes per
  //                    step × N, + 1 for Tweedie's step; FFJORD's Dormand–Prince: the most over
  //                    its chunks, each integrated on its own)
  //   loglik           per-sample log-likelihood: probability-flow ODE (DiffFlow, DDPM, RK4 on the
  //                    grid), FFJORD: Dormand–Prince at desc.tol; *nfe = function evaluations
  // (virtual: the CUDA backend runs DDPM's on the device)
  virtual double train_loss_grad(Buf& gf, Buf& gs, const Buf& pf, const Buf& ps, const ModelDesc& m, const Buf& x0,
                                 int B, const TimeGrid& grid, NoiseKey key, int K);
  virtual void bound(std::vector<double>& loss, const Buf& pf, const Buf& ps, const ModelDesc& m, const Buf& x0,
                     int B, const TimeGrid& grid, NoiseKey key);
  virtual long sample(Buf& x, const Buf& pf, const Buf& ps, const ModelDesc& m, int B, const TimeGrid& grid,
                      NoiseKey key, const Sampler& smp);
  // The evaluations a fixed-step sampler makes per sample: passes per step × N (+ 1 with denoise).
  static long sample_passes(const ModelDesc& m, const TimeGrid& grid, const Sampler& smp);
  virtual void loglik(std::vector<double>& logp, long* nfe, const Buf& pf, const Buf& ps, const ModelDesc& m,
                      const Buf& x0, int B, const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt);

  // Device kernels (and library calls such as GEMMs) this backend has launched so far; −1 when it
  // does not launch kernels (the CPU backend). The benchmark takes differences of it.
  virtual long kernel_launches() const { return -1; }
  // Graphs (train_step's captured iterations) this backend has run so far; 0 where it has none.
  virtual long graph_launches() const { return 0; }

  virtual double grad_sq_norm(const Buf& g) = 0;
  // The estimate of train_bytes for the CPU code (the CPU backend, and the families a device
  // backend runs on host copies): per worker thread its chunk's states, network caches and
  // gradient accumulators.
  static std::size_t host_train_bytes(const ModelDesc& m, int B, int N, int K);

  virtual void adam_update(Buf& p, const Buf& g, Buf& m, Buf& v, const AdamHyper& h, long step, float scale) = 0;
  virtual void ema_update(Buf& e, const Buf& p, float decay) = 0;

  // One training iteration: train_loss_grad into nets[k].g, ‖g‖ of both (grad_sq_norm), then for
  // each network that trains adam_update with scale clip / ‖g‖ where clip > 0 and ‖g‖ > clip (1
  // otherwise) and ema_update. The update is applied whatever the loss and norms come out as: the
  // caller (host/trainer.cpp) reads them after it and drops the iteration's state when it
  // diverged. This implementation makes those calls in that order; the device backend keeps the
  // norms, clip scales and optimizer on the device and runs the fused DiffFlow iteration without a
  // host round trip in between, as one CUDA graph on a GPU (engine/device_backend.h), with the
  // same numbers.
  virtual StepOutcome train_step(StepNet (&nets)[2], const ModelDesc& m, const Buf& x0, int B, const TimeGrid& grid,
                                 NoiseKey key, int K, const StepHyper& h);

 protected:
  // loglik by the CPU reference in double on host copies of the buffers, for every family
  // (DiffFlow's and DDPM's probability flow, FFJORD's Dormand–Prince): what loglik does for the
  // families without a device path, and a device backend's way out for shapes its kernels do
  // not cover.
  void host_loglik(std::vector<double>& logp, long* nfe, const Buf& pf, const Buf& ps, const ModelDesc& m,
                   const Buf& x0, int B, const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt);
};

std::unique_ptr<Backend> make_cpu_backend();
// The device backend (engine/device_backend.h) on the emulated device: always available.
std::unique_ptr<Backend> make_emu_backend(const BackendOptions& o = {});

// CUDA: whether the backend was built and a device is present, and the factory (throws when
// it cannot run here). engine/cuda_backend.cu when built with CUDA, else engine/backend_select.cpp.
bool cuda_backend_built();
int cuda_device_count();
std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& o = {});

// The backend for a device, with the options applied; says which it took in *why. InputError
// when the device cannot run here (no CUDA backend built, no device, a precision the backend
// refuses).
std::unique_ptr<Backend> make_backend(Device device, const BackendOptions& o, std::string* why);

}  // namespace df
