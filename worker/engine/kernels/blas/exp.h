// e^x for x <= 0, vectorisable: shared by the kernels that exponentiate rows of logits (attention's softmax,
// the next-token loss's).
#ifndef GRADES_EXP_H
#define GRADES_EXP_H
#include <stdint.h>
#include <string.h>

// The exponent's floor: e^-88 is under float32's smallest normal number, and at it n below is -127, whose scale
// 2^-127 is built as the bits of 0, so a masked logit's weight is exactly 0, as float32's exp rounds it.
#define EXP_FLOOR -88.0f

// e^x for x <= 0 in float32, about 2 ulp (Cephes' expf: x = n ln 2 + r, |r| <= ln 2 / 2, a degree-6 polynomial
// for e^r, 2^n put in the exponent bits; results below the smallest normal number are 0), written without a
// branch so the compiler vectorises it (given -fno-trapping-math, binding.gyp: otherwise GCC keeps the clamp's
// comparison as control flow): libm's expf is a call per element, several times slower than the rest of a
// softmax's pass.
static inline float exp_nonpositive(float x) {
  const float c = x > EXP_FLOOR ? x : EXP_FLOOR;
  // Round to nearest by the 1.5 · 2^23 trick (vectorises where rintf may not).
  const float n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (c - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

#endif
