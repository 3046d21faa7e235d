// Rotary position embeddings fused with the transpose attention needs, in one pass (kernels/rotary.ts): q or k
// [B, T, heads, D] becomes [B, heads, T, D] rotated by the tables [T, D], with transformers' rotate_half
// convention (x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1)). Composed, that is a transpose, a
// matmul for rotate_half, two products and a sum, and about as many again backward. The backward pass is the
// map's transpose: the inverse rotation, back into [B, T, heads, D].
#include <stdint.h>

#include "binding.h"

static bool read_dims(napi_env env, napi_value* argv, int64_t* d) {
  for (int i = 0; i < 4; i++)
    if (napi_get_value_int64(env, argv[i], &d[i]) != napi_ok || d[i] <= 0) return false;
  return d[3] % 2 == 0;
}

// Checks rotary(B, T, H, D, in, cos, sin, out)'s arguments: both tensors B*T*H*D floats, the tables T*D.
static bool rotary_args(napi_env env, napi_callback_info info, int64_t* d, float** p) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 8 || !read_dims(env, argv, d)) {
    napi_throw_type_error(env, NULL, "grades_blas: rotary(B, T, heads, D (even), x, cos, sin, out)");
    return false;
  }
  size_t len[4];
  if (!float_views(env, argv + 4, 4, p, len)) return false;
  const size_t all = (size_t)(d[0] * d[1] * d[2] * d[3]), table = (size_t)(d[1] * d[3]);
  if (len[0] != all || len[3] != all || len[1] != table || len[2] != table) {
    napi_throw_range_error(env, NULL, "grades_blas: the arrays do not match the rotary shape");
    return false;
  }
  return true;
}

// Forward: x [B, T, H, D] -> out [B, H, T, D], out = x cos + rotate_half(x) sin. Backward: dy [B, H, T, D] ->
// dx [B, T, H, D] by the transpose of that linear map.
static napi_value rotary(napi_env env, napi_callback_info info, bool backward) {
  int64_t d[4];
  float* p[4];
  if (!rotary_args(env, info, d, p)) return NULL;
  const int64_t B = d[0], T = d[1], H = d[2], D = d[3], half = D / 2;
  const float *in = p[0], *cos = p[1], *sin = p[2];
  float* out = p[3];
  for (int64_t b = 0; b < B; b++)
    for (int64_t t = 0; t < T; t++)
      for (int64_t h = 0; h < H; h++) {
        const int64_t tokenFirst = ((b * T + t) * H + h) * D, headsFirst = ((b * H + h) * T + t) * D;
        const float* a = in + (backward ? headsFirst : tokenFirst);
        float* o = out + (backward ? tokenFirst : headsFirst);
        const float *c = cos + t * D, *s = sin + t * D;
        for (int64_t i = 0; i < half; i++) {
          if (backward) {
            o[i] = a[i] * c[i] + a[i + half] * s[i + half];
            o[i + half] = a[i + half] * c[i + half] - a[i] * s[i];
          } else {
            o[i] = a[i] * c[i] - a[i + half] * s[i];
            o[i + half] = a[i + half] * c[i + half] + a[i] * s[i + half];
          }
        }
      }
  return NULL;
}

napi_value rotary_forward(napi_env env, napi_callback_info info) { return rotary(env, info, false); }

napi_value rotary_backward(napi_env env, napi_callback_info info) { return rotary(env, info, true); }
