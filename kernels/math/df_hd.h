// DF_HD marks per-element math that is compiled for both the host and the device.
// Under nvcc it is __host__ __device__ __forceinline__; under g++ it is plain inline.
// Every formula in kernels/math is written once and called by the CPU loops and the CUDA kernels.
#pragma once
#if defined(__CUDACC__)
#define DF_HD __host__ __device__ __forceinline__
#else
#define DF_HD inline
#endif

// DF_NO_UNROLL before a loop: nvcc keeps it rolled (#pragma unroll 1), where unrolling it would
// take registers the sweeps do not have (docs/kernels.md, the ptxas table); nothing under g++.
#if defined(__CUDACC__)
#define DF_NO_UNROLL _Pragma("unroll 1")
#else
#define DF_NO_UNROLL
#endif

#if defined(__CUDACC__)
#include <math.h>
#else
#include <cmath>
#endif
