// Attention's core, softmax(q k^T + mask) v, forward and backward, for every batch item and kv head in one call
// (kernels/attention.ts). The products are the sgemm calls the matmul kernel made one by one; what this saves is
// everything between them: composed of tfjs ops the mask's add, the softmax and the softmax's gradient (a
// product, a sum, a subtraction and another product) each were a kernel and a pass over the B·H·T·S scores, and
// the transposes and reshapes around them more dispatches, for every layer.
//
// Layout, as model/attention.ts arranges it: q [BK, M, D] with BK = batch · kv heads and M = g · T (the g query
// heads sharing a kv head stacked along time), k and v [BK, S, D], mask [batch, T, S] additive (0 or MASKED),
// probabilities [BK, M, S], output [BK, M, D]. Row r of an item is position r mod T of batch item bk / kvHeads.
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "binding.h"
#include "exp.h"

// Rows of scores + mask turned into probabilities in place; the max and the sum in float, as tfjs' softmax.
__attribute__((target_clones("avx512f", "avx2", "default"))) static void softmax_rows(
    size_t rows, size_t t_len, size_t s_len, float* restrict p, const float* restrict mask) {
  for (size_t r = 0; r < rows; r++) {
    float* row = p + r * s_len;
    const float* m = mask + (r % t_len) * s_len;
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (size_t j = 0; j < s_len; j++) {
      row[j] += m[j];
      max = row[j] > max ? row[j] : max;
    }
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t j = 0; j < s_len; j++) {
      row[j] = exp_nonpositive(row[j] - max);
      sum += row[j];
    }
    const float inv = 1.0f / sum;
    for (size_t j = 0; j < s_len; j++) row[j] *= inv;
  }
}

// The softmax's gradient in place: ds = p (dp - sum_j p dp) per row.
__attribute__((target_clones("avx512f", "avx2", "default"))) static void softmax_grad_rows(
    size_t rows, size_t s_len, const float* restrict p, float* restrict dp) {
  for (size_t r = 0; r < rows; r++) {
    const float* pr = p + r * s_len;
    float* dr = dp + r * s_len;
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (size_t j = 0; j < s_len; j++) dot += pr[j] * dr[j];
    for (size_t j = 0; j < s_len; j++) dr[j] = pr[j] * (dr[j] - dot);
  }
}

// A call's arguments: the dimensions batch, kvHeads, M, T, S, D (positive, M a multiple of T), then `arrays`
// Float32Arrays; false, with an exception pending, otherwise.
static bool attention_args(napi_env env, napi_callback_info info, size_t arrays, const char* usage, int64_t* d,
                           float** p, size_t* len) {
  size_t argc = 14;
  napi_value argv[14];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "grades_blas: bad argument");
    return false;
  }
  bool ok = argc == 6 + arrays;
  for (int i = 0; ok && i < 6; i++) ok = napi_get_value_int64(env, argv[i], &d[i]) == napi_ok && d[i] > 0;
  if (!ok || d[2] % d[3] != 0) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  return float_views(env, argv + 6, arrays, p, len);
}

static napi_value shape_error(napi_env env) {
  napi_throw_range_error(env, NULL, "grades_blas: the arrays do not match attention's shape");
  return NULL;
}

// attentionForward(batch, kvHeads, M, T, S, D, q, k, v, mask, probs, out).
napi_value attention_forward(napi_env env, napi_callback_info info) {
  int64_t d[6];
  float* p[6];
  size_t len[6];
  if (!attention_args(env, info, 6, "grades_blas: attentionForward(batch, kvHeads, M, T, S, D, q, k, v, ...)", d,
                      p, len))
    return NULL;
  const int64_t batch = d[0], kv = d[1], M = d[2], T = d[3], S = d[4], D = d[5], BK = batch * kv;
  const float *q = p[0], *k = p[1], *v = p[2], *mask = p[3];
  float *probs = p[4], *out = p[5];
  if (len[0] != (size_t)(BK * M * D) || len[1] != (size_t)(BK * S * D) || len[2] != len[1] ||
      len[3] != (size_t)(batch * T * S) || len[4] != (size_t)(BK * M * S) || len[5] != len[0])
    return shape_error(env);
  for (int64_t bk = 0; bk < BK; bk++) {
    float* pb = probs + bk * M * S;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)S, (int)D, 1.0f, q + bk * M * D, (int)D,
                k + bk * S * D, (int)D, 0.0f, pb, (int)S);
    softmax_rows((size_t)M, (size_t)T, (size_t)S, pb, mask + (bk / kv) * T * S);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)D, (int)S, 1.0f, pb, (int)S,
                v + bk * S * D, (int)D, 0.0f, out + bk * M * D, (int)D);
  }
  return NULL;
}

// attentionBackward(batch, kvHeads, M, T, S, D, dOut, q, k, v, probs, dq, dk, dv).
napi_value attention_backward(napi_env env, napi_callback_info info) {
  int64_t d[6];
  float* p[8];
  size_t len[8];
  if (!attention_args(env, info, 8, "grades_blas: attentionBackward(batch, kvHeads, M, T, S, D, dOut, ...)", d,
                      p, len))
    return NULL;
  const int64_t batch = d[0], kv = d[1], M = d[2], S = d[4], D = d[5], BK = batch * kv;
  const float *dout = p[0], *q = p[1], *k = p[2], *v = p[3], *probs = p[4];
  float *dq = p[5], *dk = p[6], *dv = p[7];
  const size_t qn = (size_t)(BK * M * D), kn = (size_t)(BK * S * D);
  if (len[0] != qn || len[1] != qn || len[2] != kn || len[3] != kn || len[4] != (size_t)(BK * M * S) ||
      len[5] != qn || len[6] != kn || len[7] != kn)
    return shape_error(env);
  // One item's score gradient at a time.
  float* ds = malloc(sizeof(float) * (size_t)(M * S));
  if (!ds) {
    napi_throw_error(env, NULL, "grades_blas: out of memory");
    return NULL;
  }
  for (int64_t bk = 0; bk < BK; bk++) {
    const float *pb = probs + bk * M * S, *dob = dout + bk * M * D, *qb = q + bk * M * D;
    const float *kb = k + bk * S * D, *vb = v + bk * S * D;
    // dv = p^T dOut; dp = dOut v^T, then the softmax's gradient; dq = ds k; dk = ds^T q.
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)S, (int)D, (int)M, 1.0f, pb, (int)S, dob, (int)D,
                0.0f, dv + bk * S * D, (int)D);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)S, (int)D, 1.0f, dob, (int)D, vb, (int)D,
                0.0f, ds, (int)S);
    softmax_grad_rows((size_t)M, (size_t)S, pb, ds);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)D, (int)S, 1.0f, ds, (int)S, kb, (int)D,
                0.0f, dq + bk * M * D, (int)D);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)S, (int)D, (int)M, 1.0f, ds, (int)S, qb, (int)D,
                0.0f, dk + bk * S * D, (int)D);
  }
  free(ds);
  return NULL;
}
