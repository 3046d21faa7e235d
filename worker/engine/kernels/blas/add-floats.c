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
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) {
    napi_throw_type_error(env, NULL, "grades_blas: addFloats takes 3 arguments");
    return NULL;
  }
  float* p[3];
  size_t len[3];
  if (!float_views(env, argv, 3, p, len)) return NULL;
  if (len[1] != len[0] || len[2] != len[0]) {
    napi_throw_range_error(env, NULL, "grades_blas: addFloats' arrays differ in length");
    return NULL;
  }
  add_into(len[0], p[0], p[1], p[2]);
  return NULL;
}
