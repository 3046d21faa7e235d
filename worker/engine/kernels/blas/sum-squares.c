// The sum of squares of one array: a gradient's share of the global norm that clipping divides by
// (kernels/sum-squares.ts). Composed of tfjs ops it is a square and a sum per gradient, two kernels and passes
// each, for every trained tensor at every step.
#include "binding.h"

// Summed in double, as the JS loop beside the kernel does; the vector lanes' partial sums add up in another
// order than the loop's, so the two agree to double's rounding, far below float32's.
__attribute__((target_clones("avx512f", "avx2", "default"))) static double sum_squares_of(
    size_t n, const float* restrict a) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (size_t i = 0; i < n; i++) s += (double)a[i] * (double)a[i];
  return s;
}

// sumSquares(a): sum a[i]² over a Float32Array.
napi_value sum_squares(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  float* p[1];
  size_t n;
  if (!same_length_args(env, info, 1, argv, 1, p, &n)) return NULL;
  napi_value out;
  CHECK(napi_create_double(env, sum_squares_of(n, p[0]), &out));
  return out;
}
