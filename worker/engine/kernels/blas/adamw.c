// AdamW's update of one variable in one pass (kernels/adamw-step.ts). Composed of tfjs ops it is about twelve
// element-wise passes over the variable, and the JS loop of adamw-step.ts is slower than those on a full matrix;
// compiled, the pass is bound by memory alone. The arithmetic is adamwStepValues', operation for operation, in
// double and rounded once per output (no contraction into fused multiply-adds), so both give the same floats.
// The gradient is first scaled by clipping's factor and rounded to float32, the float a separate clipping pass
// would have written, so clipping costs no pass of its own.
#include <math.h>

#include "binding.h"

// The loop, compiled for the widest vectors the CPU has (chosen at load); restrict: the arrays are distinct
// tensors, which lets the compiler vectorise it. copy, when not NULL, receives the new weights too (a
// data-parallel replica's shared buffer, parallel/replicas.ts): written in the same pass, not read back.
__attribute__((target_clones("avx512f", "avx2", "default"))) static void update(
    size_t n, const float* restrict w, const float* restrict g, const float* restrict m,
    const float* restrict v, float* restrict ow, float* restrict om, float* restrict ov, float* restrict copy,
    double beta1, double beta2, double epsilon, double decay, double step_size, double c2, double grad_scale) {
  const double b1 = 1 - beta1, b2 = 1 - beta2;
  for (size_t i = 0; i < n; i++) {
    // Exact before the rounding: both factors are float32s.
    const double gi = (float)(g[i] * grad_scale);
    const double mi = beta1 * m[i] + b1 * gi;
    const double vi = beta2 * v[i] + b2 * gi * gi;
    om[i] = (float)mi;
    ov[i] = (float)vi;
    const float wi = (float)(w[i] * decay - (step_size * mi) / (sqrt(vi * c2) + epsilon));
    ow[i] = wi;
    if (copy) copy[i] = wi;
  }
}

// adamw(w, g, m, v, outW, outM, outV, beta1, beta2, epsilon, decay, stepSize, c2, gradScale[, copy]): seven
// Float32Arrays of one length, then the step's constants as adamwStepValues computes them, and optionally an
// eighth array of that length that receives the new weights as well.
napi_value adamw(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float* p[7];
  size_t n;
  if (!same_length_args(env, info, argc == 15 ? 15 : 14, argv, 7, p, &n)) return NULL;
  float* copy = NULL;
  size_t copy_length = 0;
  if (argc == 15 && !float_views(env, argv + 14, 1, &copy, &copy_length)) return NULL;
  if (copy && copy_length != n) {
    napi_throw_range_error(env, NULL, "grades_blas: the arrays differ in length");
    return NULL;
  }
  double c[7];
  for (int i = 0; i < 7; i++) CHECK(napi_get_value_double(env, argv[7 + i], &c[i]));
  const double beta1 = c[0], beta2 = c[1], epsilon = c[2], decay = c[3], step_size = c[4], c2 = c[5];
  update(n, p[0], p[1], p[2], p[3], p[4], p[5], p[6], copy, beta1, beta2, epsilon, decay, step_size, c2, c[6]);
  return NULL;
}
