// The next-token loss's softmax cross-entropy over rows of logits, with its gradient, in one kernel
// (kernels/cross-entropy.ts). Composed of tfjs ops a chunk of [rows, V] logits took a softmax, two maxima and a
// log for the log-sum-exp, a gather for the target logits, and in the backward pass a one-hot, a cast and a
// subtraction: each a pass over the rows·V floats (a max over 4,096 words was slower than the softmax). Here
// it is three passes per row: the max, the exponentials and their sum, and the gradient's scaling.
#include <math.h>

#include "binding.h"
#include "exp.h"

// Per row: loss = lse - logits[y], grad = softmax(logits) - onehot(y), lse = max + log(sum e^(x - max)). The
// max in float, the sum in double (rows of Qwen's 151,936 words); a row's gradient sums to 0 up to rounding.
__attribute__((target_clones("avx512f", "avx2", "default"))) static void cross_entropy_rows(
    size_t rows, size_t v, const float* restrict logits, const int32_t* restrict targets, float* restrict loss,
    float* restrict grad) {
  for (size_t r = 0; r < rows; r++) {
    const float* x = logits + r * v;
    float* g = grad + r * v;
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (size_t j = 0; j < v; j++) max = x[j] > max ? x[j] : max;
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t j = 0; j < v; j++) {
      g[j] = exp_nonpositive(x[j] - max);
      sum += g[j];
    }
    const float inv = (float)(1.0 / sum);
    for (size_t j = 0; j < v; j++) g[j] *= inv;
    const int32_t y = targets[r];
    g[y] -= 1.0f;
    loss[r] = (float)((double)max + log(sum) - (double)x[y]);
  }
}

// crossEntropy(V, logits, targets, loss, grad): logits and grad Float32Arrays of rows·V floats, targets an
// Int32Array of rows word ids in [0, V), loss a Float32Array of rows.
napi_value cross_entropy(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) {
    napi_throw_type_error(env, NULL, "grades_blas: crossEntropy(V, logits, targets, loss, grad)");
    return NULL;
  }
  int64_t v;
  if (napi_get_value_int64(env, argv[0], &v) != napi_ok || v <= 0) {
    napi_throw_type_error(env, NULL, "grades_blas: crossEntropy's V must be a positive integer");
    return NULL;
  }
  float* p[3];
  size_t len[3];
  napi_value floats[3] = {argv[1], argv[3], argv[4]};
  if (!float_views(env, floats, 3, p, len)) return NULL;
  napi_typedarray_type type;
  size_t rows;
  void* raw;
  if (napi_get_typedarray_info(env, argv[2], &type, &rows, &raw, NULL, NULL) != napi_ok ||
      type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "grades_blas: crossEntropy's targets must be an Int32Array");
    return NULL;
  }
  if (len[0] != rows * (size_t)v || len[1] != rows || len[2] != len[0]) {
    napi_throw_range_error(env, NULL, "grades_blas: crossEntropy's arrays do not match [rows, V]");
    return NULL;
  }
  const int32_t* targets = raw;
  for (size_t r = 0; r < rows; r++) {
    if (targets[r] < 0 || targets[r] >= v) {
      napi_throw_range_error(env, NULL, "grades_blas: a crossEntropy target is outside [0, V)");
      return NULL;
    }
  }
  cross_entropy_rows(rows, (size_t)v, p[0], targets, p[1], p[2]);
  return NULL;
}
