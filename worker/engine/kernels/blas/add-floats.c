// out = x + a over float32 arrays, one pass (kernels/add-shared.ts): a replica's gradient added to the
// trainer's, read straight from shared memory. Composed of tfjs ops it was a copy of the replica's gradient into
// the wasm heap, then an add, two passes and an allocation per gradient and replica.
#include "binding.h"

// out may be x (the second replica's gradient added to the first sum in place, or the sum written over the
// trainer's own gradient), so no restrict; GCC checks the overlap at run time and keeps the vector loop. float +
// float, rounded as tfjs' Add rounds. The pass also sums the squares of what it writes, in double: the share of
// the gradient's norm that clipping would otherwise read the sum again for.
__attribute__((target_clones("avx512f", "avx2", "default"))) static double add_into(size_t n, const float* x,
                                                                                    const float* a, float* out) {
  double squares = 0;
#pragma omp simd reduction(+ : squares)
  for (size_t i = 0; i < n; i++) {
    const float sum = x[i] + a[i];
    out[i] = sum;
    squares += (double)sum * (double)sum;
  }
  return squares;
}

// addFloats(x, a, out): three Float32Arrays of one length; returns the sum of the squares of out.
napi_value add_floats(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  float* p[3];
  size_t n;
  if (!same_length_args(env, info, 3, argv, 3, p, &n)) return NULL;
  napi_value squares;
  CHECK(napi_create_double(env, add_into(n, p[0], p[1], p[2]), &squares));
  return squares;
}
