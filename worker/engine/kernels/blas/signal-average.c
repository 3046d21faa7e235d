// grad_snr's moving averages of one tensor (kernels/signal-ratio.ts): m' = b m + (1 - b) g and
// s' = b s + (1 - b) g², and the sums of m'² and of s' that its ratio divides. One pass over five arrays where
// the JS loop beside the kernel takes several times as long on a model's full weights.
#include "binding.h"

// The new averages rounded to float32 as the JS loop stores them; the sums in double, as that loop keeps them.
__attribute__((target_clones("avx512f", "avx2", "default"))) static void average(
    size_t n, const float* restrict g, const float* restrict m, const float* restrict s, float* restrict m_out,
    float* restrict s_out, double beta, double* signal, double* power) {
  double sig = 0;
  double pow = 0;
  const double a = 1 - beta;
#pragma omp simd reduction(+ : sig, pow)
  for (size_t i = 0; i < n; i++) {
    const double x = g[i];
    const float mi = (float)(beta * m[i] + a * x);
    const float si = (float)(beta * s[i] + a * x * x);
    m_out[i] = mi;
    s_out[i] = si;
    sig += (double)mi * (double)mi;
    pow += si;
  }
  *signal = sig;
  *power = pow;
}

// signalAverage(g, m, s, mOut, sOut, beta): five Float32Arrays of one length and b; returns [Σ mOut², Σ sOut].
napi_value signal_average(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  float* p[5];
  size_t n;
  if (!same_length_args(env, info, 6, argv, 5, p, &n)) return NULL;
  double beta;
  CHECK(napi_get_value_double(env, argv[5], &beta));
  double signal;
  double power;
  average(n, p[0], p[1], p[2], p[3], p[4], beta, &signal, &power);
  napi_value out;
  napi_value value;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_double(env, signal, &value));
  CHECK(napi_set_element(env, out, 0, value));
  CHECK(napi_create_double(env, power, &value));
  CHECK(napi_set_element(env, out, 1, value));
  return out;
}
