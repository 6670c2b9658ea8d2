// Helpers shared by fastnn's CUDA kernels (included by every .cu file here).
//
// The kernels are compiled at run time by NVRTC through cupy.RawModule and at
// test time by nvcc (compile check only), so this header uses no standard
// headers: just float/double overloads of the math we need, -inf and NaN
// tests that do not depend on <cmath>, a grid-stride loop over 64-bit
// indices, and atomicAdd for double on GPUs older than sm_60.
#pragma once

typedef long long idx_t;

// Every elementwise kernel walks its index space with a grid-stride loop, so
// the host may launch a capped grid for any problem size.
#define GRID_STRIDE_LOOP(i, n)                                               \
    for (idx_t i = (idx_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);    \
         i += (idx_t)blockDim.x * gridDim.x)

__device__ __forceinline__ float  fn_exp(float x)  { return expf(x); }
__device__ __forceinline__ double fn_exp(double x) { return exp(x); }
__device__ __forceinline__ float  fn_log(float x)  { return logf(x); }
__device__ __forceinline__ double fn_log(double x) { return log(x); }
__device__ __forceinline__ float  fn_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double fn_tanh(double x) { return tanh(x); }

template <typename T> __device__ __forceinline__ T fn_sigmoid(T x) {
    // exp of a non-positive argument only, so large |x| never overflows
    if (x >= T(0)) { T e = fn_exp(-x); return T(1) / (T(1) + e); }
    T e = fn_exp(x);
    return e / (T(1) + e);
}

template <typename T> __device__ __forceinline__ T neg_inf();
template <> __device__ __forceinline__ float neg_inf<float>() {
    return __int_as_float(0xff800000);
}
template <> __device__ __forceinline__ double neg_inf<double>() {
    return __longlong_as_double(0xfff0000000000000LL);
}

template <typename T> __device__ __forceinline__ bool is_nan(T x) { return x != x; }

__device__ __forceinline__ float atomic_add(float* addr, float v) { return atomicAdd(addr, v); }
__device__ __forceinline__ double atomic_add(double* addr, double v) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 600
    return atomicAdd(addr, v);
#else
    // compare-and-swap loop: native double atomicAdd needs sm_60
    unsigned long long* p = (unsigned long long*)addr;
    unsigned long long old = *p, assumed;
    do {
        assumed = old;
        old = atomicCAS(p, assumed,
                        __double_as_longlong(v + __longlong_as_double(assumed)));
    } while (assumed != old);
    return __longlong_as_double(old);
#endif
}

// Emit extern "C" float and double entry points name_f32 / name_f64 for a
// templated __device__ body name_impl<T>; the Python side picks one by dtype.
#define FASTNN_INSTANTIATE(name, PARAMS_F, ARGS)                             \
    extern "C" __global__ void name##_f32 PARAMS_F(float)                    \
    { name##_impl<float> ARGS; }                                             \
    extern "C" __global__ void name##_f64 PARAMS_F(double)                   \
    { name##_impl<double> ARGS; }
