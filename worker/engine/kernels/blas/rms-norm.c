// RMSNorm over the last axis, forward and backward, each in one pass over the rows (kernels/rms-norm.ts).
// Composed of tfjs ops the norm is six element-wise kernels forward and about ten backward; the model has two
// per layer, the final one, and q/k-norms in Qwen3's attention. Sums accumulate in double; the rest is float32,
// in transformers' order: (x * rsqrt(mean(x^2) + eps)) * weight.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "binding.h"

static napi_value shape_error(napi_env env) {
  napi_throw_range_error(env, NULL, "grades_blas: the arrays do not match the norm's shape");
  return NULL;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) static void forward(
    size_t rows, size_t h, const float* restrict x, const float* restrict w, float eps,
    float* restrict y, float* restrict r) {
  for (size_t i = 0; i < rows; i++) {
    const float* xi = x + i * h;
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t j = 0; j < h; j++) sum += (double)xi[j] * xi[j];
    const float ri = 1.0f / sqrtf((float)(sum / (double)h) + eps);
    r[i] = ri;
    float* yi = y + i * h;
    for (size_t j = 0; j < h; j++) yi[j] = (xi[j] * ri) * w[j];
  }
}

// With xn = x r: dx = r (dy w - xn mean(dy w xn)) per row, dw = sum over rows of dy xn.
__attribute__((target_clones("avx512f", "avx2", "default"))) static void backward(
    size_t rows, size_t h, const float* restrict dy, const float* restrict x, const float* restrict w,
    const float* restrict r, float* restrict dx, double* restrict dw) {
  for (size_t i = 0; i < rows; i++) {
    const float *dyi = dy + i * h, *xi = x + i * h;
    const float ri = r[i];
    double dot = 0;
#pragma omp simd reduction(+ : dot)
    for (size_t j = 0; j < h; j++) dot += (double)(dyi[j] * w[j]) * (xi[j] * ri);
    const float mean = (float)(dot / (double)h);
    float* dxi = dx + i * h;
    for (size_t j = 0; j < h; j++) {
      const float xn = xi[j] * ri;
      dxi[j] = ri * (dyi[j] * w[j] - xn * mean);
      dw[j] += (double)dyi[j] * xn;
    }
  }
}

// rmsNormForward(x, weight, eps, y, r): x and y [rows, h], weight [h], r [rows] (the rsqrt, for the backward).
napi_value rms_norm_forward(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  double eps;
  if (argc != 5 || napi_get_value_double(env, argv[2], &eps) != napi_ok) {
    napi_throw_type_error(env, NULL, "grades_blas: rmsNormForward(x, weight, eps, y, r)");
    return NULL;
  }
  napi_value views[4] = {argv[0], argv[1], argv[3], argv[4]};
  float* p[4];
  size_t len[4];
  if (!float_views(env, views, 4, p, len)) return NULL;
  const size_t h = len[1], rows = len[3];
  if (h == 0 || len[0] != rows * h || len[2] != len[0]) return shape_error(env);
  forward(rows, h, p[0], p[1], (float)eps, p[2], p[3]);
  return NULL;
}

// rmsNormBackward(dy, x, weight, r, dx, dw): dy, x, dx [rows, h], weight and dw [h], r [rows].
napi_value rms_norm_backward(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) {
    napi_throw_type_error(env, NULL, "grades_blas: rmsNormBackward(dy, x, weight, r, dx, dw)");
    return NULL;
  }
  float* p[6];
  size_t len[6];
  if (!float_views(env, argv, 6, p, len)) return NULL;
  const size_t h = len[2], rows = len[3];
  if (h == 0 || len[1] != rows * h || len[0] != len[1] || len[4] != len[1] || len[5] != h)
    return shape_error(env);
  double* acc = calloc(h, sizeof(double));
  if (!acc) {
    napi_throw_error(env, NULL, "grades_blas: out of memory");
    return NULL;
  }
  backward(rows, h, p[0], p[1], p[2], p[3], p[4], acc);
  for (size_t j = 0; j < h; j++) p[5][j] = (float)acc[j];
  free(acc);
  return NULL;
}
