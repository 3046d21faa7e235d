// What the binding's C files share: argument checks that turn a wrong call into a JS exception.
#ifndef GRADES_BINDING_H
#define GRADES_BINDING_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

#define CHECK(call)                                                                  \
  do {                                                                               \
    if ((call) != napi_ok) {                                                         \
      napi_throw_error(env, NULL, "grades_blas: bad argument");                     \
      return NULL;                                                                   \
    }                                                                                \
  } while (0)

// A Float32Array's data (its byte offset applied) and length in floats; false for anything else.
static inline bool float_view(napi_env env, napi_value v, float** data, size_t* length) {
  napi_typedarray_type type;
  void* raw;
  if (napi_get_typedarray_info(env, v, &type, length, &raw, NULL, NULL) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = (float*)raw;
  return true;
}

// Every argument of argv[0 .. count) a Float32Array (its data and length in p, len); false, with a TypeError
// pending, otherwise.
static inline bool float_views(napi_env env, napi_value* argv, size_t count, float** p, size_t* len) {
  for (size_t i = 0; i < count; i++) {
    if (!float_view(env, argv[i], &p[i], &len[i])) {
      napi_throw_type_error(env, NULL, "grades_blas: the arrays must be Float32Arrays");
      return false;
    }
  }
  return true;
}

// Exactly `total` arguments (into argv, room for `total`), the first `floats` of them Float32Arrays of one
// length (their data in p, that length in n); false, with a TypeError or RangeError pending, otherwise.
static inline bool same_length_args(napi_env env, napi_callback_info info, size_t total, napi_value* argv,
                                    size_t floats, float** p, size_t* n) {
  size_t argc = total;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != total) {
    napi_throw_type_error(env, NULL, "grades_blas: wrong number of arguments");
    return false;
  }
  size_t len[8];
  if (floats > 8) {
    napi_throw_error(env, NULL, "grades_blas: at most 8 arrays of one length");
    return false;
  }
  if (!float_views(env, argv, floats, p, len)) return false;
  *n = len[0];
  for (size_t i = 1; i < floats; i++) {
    if (len[i] != *n) {
      napi_throw_range_error(env, NULL, "grades_blas: the arrays differ in length");
      return false;
    }
  }
  return true;
}

napi_value adamw(napi_env env, napi_callback_info info);
napi_value swiglu_forward(napi_env env, napi_callback_info info);
napi_value swiglu_backward(napi_env env, napi_callback_info info);
napi_value rms_norm_forward(napi_env env, napi_callback_info info);
napi_value rms_norm_backward(napi_env env, napi_callback_info info);
napi_value rotary_forward(napi_env env, napi_callback_info info);
napi_value rotary_backward(napi_env env, napi_callback_info info);
napi_value l1_distance(napi_env env, napi_callback_info info);
napi_value signal_average(napi_env env, napi_callback_info info);
napi_value sum_squares(napi_env env, napi_callback_info info);
napi_value add_floats(napi_env env, napi_callback_info info);
napi_value attention_forward(napi_env env, napi_callback_info info);
napi_value attention_backward(napi_env env, napi_callback_info info);
napi_value cross_entropy(napi_env env, napi_callback_info info);

#endif
