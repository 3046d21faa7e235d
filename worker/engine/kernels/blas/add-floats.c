// out = x + a over float32 arrays, one pass (kernels/add-shared.ts): a replica's gradient added to the
// trainer's, read straight from shared memory. Composed of tfjs ops it was a copy of the replica's gradient into
// the wasm heap, then an add, two passes and an allocation per gradient and replica.
#include "binding.h"

// out may be x (the second replica's gradient added to the first sum in place), so no restrict; GCC checks the
// overlap at run time and keeps the vector loop. float + float, rounded as tfjs' Add rounds.
__attribute__((target_clones("avx512f", "avx2", "default"))) static void add_into(size_t n, const float* x,
                                                                                  const float* a, float* out) {
  for (size_t i = 0; i < n; i++) out[i] = x[i] + a[i];
}

// addFloats(x, a, out): three Float32Arrays of one length.
napi_value add_floats(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  float* p[3];
  size_t n;
  if (same_length_args(env, info, 3, argv, 3, p, &n)) add_into(n, p[0], p[1], p[2]);
  return NULL;
}
