// Host emulation of the CUDA built-ins used by fastnn/backends/cupy/kernels/*.cu.
//
// Lets the test-suite compile those kernels with an ordinary C++ compiler and
// run them on the CPU as ONE thread in ONE block (blockDim = gridDim = 1): the
// kernels' grid-stride and block-stride loops then visit every index in turn,
// and their shared-memory reductions degenerate to the single thread's value,
// so the arithmetic can be checked against the NumPy reference on machines
// without a GPU. Nothing here is used at run time.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstring>

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

struct fastnn_host_dim3 { unsigned int x, y, z; };
static const fastnn_host_dim3 threadIdx = {0, 0, 0};
static const fastnn_host_dim3 blockIdx = {0, 0, 0};
static const fastnn_host_dim3 blockDim = {1, 1, 1};
static const fastnn_host_dim3 gridDim = {1, 1, 1};

using std::max;
using std::min;

inline void __syncthreads() {}
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, sizeof f); return f; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, sizeof d); return d; }
inline long long __double_as_longlong(double d) { long long i; std::memcpy(&i, &d, sizeof i); return i; }
inline float atomicAdd(float* p, float v) { float old = *p; *p += v; return old; }
inline double atomicAdd(double* p, double v) { double old = *p; *p += v; return old; }
