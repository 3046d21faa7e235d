// Node-API binding of OpenBLAS's cblas_sgemm for the wasm backend's matmuls (kernels/wasm-matmul.ts), and the
// module's entry point (adamw.c, swiglu.c, rms-norm.c, rotary.c, l1-distance.c, sum-squares.c, add-floats.c,
// attention.c and cross-entropy.c hold the other kernels). The operands are Float32Array views of the wasm
// heap, read and written in place. Node-API modules are context-aware, so every replica thread
// (parallel/replica-thread.ts) loads it too.
#include <cblas.h>
#include <stdint.h>

#include "binding.h"

// An operand of `rows` rows of `cols` floats at stride `ld` from `offset` must lie inside its view: a wrong
// shape is an exception, never a read or write outside the heap.
static bool fits(size_t length, int64_t offset, int64_t rows, int64_t cols, int64_t ld) {
  if (offset < 0 || rows < 0 || cols < 0 || ld < cols) return false;
  if (rows == 0 || cols == 0) return (size_t)offset <= length;
  return (size_t)(offset + (rows - 1) * ld + cols) <= length;
}

// sgemm(transA, transB, m, n, k, a, aOffset, b, bOffset, c, cOffset[, alpha, beta]): row-major
// c[m, n] = alpha op(a)[m, k] op(b)[k, n] + beta c[m, n] (alpha 1 and beta 0 when not given), where op
// transposes a stored [k, m] (or b stored [n, k]) when asked. beta 1 accumulates into c (kernels/lora-linear.ts).
static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 11 && argc != 13) {
    napi_throw_type_error(env, NULL, "grades_blas: sgemm takes 11 or 13 arguments");
    return NULL;
  }
  double alpha = 1, beta = 0;
  if (argc == 13) {
    CHECK(napi_get_value_double(env, argv[11], &alpha));
    CHECK(napi_get_value_double(env, argv[12], &beta));
  }
  bool ta, tb;
  int64_t m, n, k, ao, bo, co;
  CHECK(napi_get_value_bool(env, argv[0], &ta));
  CHECK(napi_get_value_bool(env, argv[1], &tb));
  CHECK(napi_get_value_int64(env, argv[2], &m));
  CHECK(napi_get_value_int64(env, argv[3], &n));
  CHECK(napi_get_value_int64(env, argv[4], &k));
  CHECK(napi_get_value_int64(env, argv[6], &ao));
  CHECK(napi_get_value_int64(env, argv[8], &bo));
  CHECK(napi_get_value_int64(env, argv[10], &co));
  float *a, *b, *c;
  size_t al, bl, cl;
  if (!float_view(env, argv[5], &a, &al) || !float_view(env, argv[7], &b, &bl) ||
      !float_view(env, argv[9], &c, &cl)) {
    napi_throw_type_error(env, NULL, "grades_blas: the operands must be Float32Arrays");
    return NULL;
  }
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX ||
      !fits(al, ao, ta ? k : m, lda, lda) || !fits(bl, bo, tb ? n : k, ldb, ldb) ||
      !fits(cl, co, m, n, n)) {
    napi_throw_range_error(env, NULL, "grades_blas: an operand does not fit its array");
    return NULL;
  }
  if (m > 0 && n > 0) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m,
                (int)n, (int)k, (float)alpha, a + ao, (int)lda, b + bo, (int)ldb, (float)beta, c + co, (int)n);
  }
  return NULL;
}

// setThreads(n): OpenBLAS's thread count, process-wide.
static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &n));
  if (n >= 1) openblas_set_num_threads(n);
  return NULL;
}

// config(): OpenBLAS's build string (version, kernel chosen for this CPU), for logs and benchmarks.
static napi_value config(napi_env env, napi_callback_info info) {
  napi_value s;
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &s));
  return s;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
      {"adamw", NULL, adamw, NULL, NULL, NULL, napi_default, NULL},
      {"swigluForward", NULL, swiglu_forward, NULL, NULL, NULL, napi_default, NULL},
      {"swigluBackward", NULL, swiglu_backward, NULL, NULL, NULL, napi_default, NULL},
      {"rmsNormForward", NULL, rms_norm_forward, NULL, NULL, NULL, napi_default, NULL},
      {"rmsNormBackward", NULL, rms_norm_backward, NULL, NULL, NULL, napi_default, NULL},
      {"rotaryForward", NULL, rotary_forward, NULL, NULL, NULL, napi_default, NULL},
      {"rotaryBackward", NULL, rotary_backward, NULL, NULL, NULL, napi_default, NULL},
      {"l1Distance", NULL, l1_distance, NULL, NULL, NULL, napi_default, NULL},
      {"signalAverage", NULL, signal_average, NULL, NULL, NULL, napi_default, NULL},
      {"sumSquares", NULL, sum_squares, NULL, NULL, NULL, napi_default, NULL},
      {"addFloats", NULL, add_floats, NULL, NULL, NULL, napi_default, NULL},
      {"attentionForward", NULL, attention_forward, NULL, NULL, NULL, napi_default, NULL},
      {"attentionBackward", NULL, attention_backward, NULL, NULL, NULL, napi_default, NULL},
      {"crossEntropy", NULL, cross_entropy, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
