// SwiGLU's element-wise part, silu(gate) * up, and its gradient, each in one pass (kernels/swiglu.ts). Composed
// of tfjs ops the pair is about ten passes over [tokens, intermediate] per layer and step; the sigmoid itself
// stays tfjs' (XNNPACK's vectorised one), computed once in the forward pass and kept for the backward.
#include "binding.h"

__attribute__((target_clones("avx512f", "avx2", "default"))) static void forward(
    size_t n, const float* restrict gate, const float* restrict sig, const float* restrict up,
    float* restrict out) {
  for (size_t i = 0; i < n; i++) out[i] = gate[i] * sig[i] * up[i];
}

// d/dgate silu(gate) = s (1 + gate (1 - s)), with s = sigmoid(gate).
__attribute__((target_clones("avx512f", "avx2", "default"))) static void backward(
    size_t n, const float* restrict dy, const float* restrict gate, const float* restrict sig,
    const float* restrict up, float* restrict dgate, float* restrict dup) {
  for (size_t i = 0; i < n; i++) {
    const float s = sig[i], g = gate[i], d = dy[i];
    dup[i] = d * g * s;
    dgate[i] = d * up[i] * s * (1.0f + g * (1.0f - s));
  }
}

// swigluForward(gate, sigmoid(gate), up, out): out = gate * sigmoid(gate) * up.
napi_value swiglu_forward(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  float* p[4];
  size_t n;
  if (same_length_args(env, info, 4, argv, 4, p, &n)) forward(n, p[0], p[1], p[2], p[3]);
  return NULL;
}

// swigluBackward(dy, gate, sigmoid(gate), up, dgate, dup).
napi_value swiglu_backward(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  float* p[6];
  size_t n;
  if (same_length_args(env, info, 6, argv, 6, p, &n)) backward(n, p[0], p[1], p[2], p[3], p[4], p[5]);
  return NULL;
}
