// SwiGLU's element-wise part, silu(gate) * up, and its gradient, each in one pass (kernels/swiglu.ts). Composed
// of tfjs ops the pair is about ten passes over [tokens, intermediate] per layer and step. The forward pass also
// computes the sigmoid (kept for the backward pass), which as tfjs' own kernel was one more pass, slower than
// the rest of the forward pass together.
#include "binding.h"
#include "exp.h"

// sigmoid(x) = 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, both from e = e^-|x| <= 1, so nothing
// overflows; branch-free, so the loop vectorises.
__attribute__((target_clones("avx512f", "avx2", "default"))) static void forward(
    size_t n, const float* restrict gate, const float* restrict up, float* restrict sig, float* restrict out) {
  for (size_t i = 0; i < n; i++) {
    const float g = gate[i];
    const float e = exp_nonpositive(g < 0 ? g : -g);
    const float s = (g < 0 ? e : 1.0f) / (1.0f + e);
    sig[i] = s;
    out[i] = g * s * up[i];
  }
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

// swigluForward(gate, up, sig, out): sig = sigmoid(gate), out = gate * sig * up.
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
