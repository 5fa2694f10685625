// The one error-check macro family of the CUDA code: each throws std::runtime_error carrying the
// failing expression, the error's name and text, and file:line.
//   CUDA_CHECK(expr)    a cudaError_t expression
//   CUDA_CHECK_LAUNCH() cudaGetLastError() after a kernel launch (launch-configuration errors;
//                       asynchronous faults surface at the next synchronizing CUDA_CHECK)
//   CUBLAS_CHECK(expr)  a cublasStatus_t expression (when cublas_v2.h is included first)
// Host code only (plain C++ with cuda_runtime.h), usable from .cu and .cpp files.
#pragma once
#include <cuda_runtime.h>

#include <sstream>
#include <stdexcept>
#include <string>

namespace df {

[[noreturn]] inline void cuda_fail(const char* expr, const char* what, const char* file, int line) {
  std::ostringstream m;
  m << "CUDA error: " << expr << " failed: " << what << " at " << file << ":" << line;
  throw std::runtime_error(m.str());
}

inline void cuda_check(cudaError_t e, const char* expr, const char* file, int line) {
  if (e != cudaSuccess) {
    const std::string what = std::string(cudaGetErrorName(e)) + " (" + cudaGetErrorString(e) + ")";
    cuda_fail(expr, what.c_str(), file, line);
  }
}

}  // namespace df

#define CUDA_CHECK(expr) ::df::cuda_check((expr), #expr, __FILE__, __LINE__)
#define CUDA_CHECK_LAUNCH() ::df::cuda_check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)

#if defined(CUBLAS_V2_H_) || defined(CUBLAS_API_H_)
#define CUBLAS_CHECK(expr)                                                                        \
  do {                                                                                            \
    cublasStatus_t df_st_ = (expr);                                                               \
    if (df_st_ != CUBLAS_STATUS_SUCCESS)                                                          \
      ::df::cuda_fail(#expr, (std::string("cublas ") + cublasGetStatusName(df_st_)).c_str(), __FILE__, __LINE__); \
  } while (0)
#endif
