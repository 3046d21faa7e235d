// The L1 distance of two arrays, GradES's G of one tensor: sum |a[i] - b[i]| (kernels/l1-change.ts). Composed
// of tfjs ops it is three kernels and passes per tensor (sub, abs, sum), for every tracked tensor at every step.
#include <math.h>

#include "binding.h"

// Summed in double, as the JS loop beside the kernel does; the vector lanes' partial sums add up in another
// order than the loop's, so the two agree to double's rounding, far below float32's.
__attribute__((target_clones("avx512f", "avx2", "default"))) static double distance(
    size_t n, const float* restrict a, const float* restrict b) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (size_t i = 0; i < n; i++) s += fabs((double)a[i] - (double)b[i]);
  return s;
}

// l1Distance(a, b): sum |a[i] - b[i]| over two Float32Arrays of one length.
napi_value l1_distance(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  float* p[2];
  size_t n;
  if (!same_length_args(env, info, 2, argv, 2, p, &n)) return NULL;
  napi_value out;
  CHECK(napi_create_double(env, distance(n, p[0], p[1]), &out));
  return out;
}
