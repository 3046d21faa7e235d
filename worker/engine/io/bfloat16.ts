// bfloat16, the top half of a float32: what safetensors files store and what the activation cache keeps. Whole
// arrays at a time through 32-bit views, since both run over millions of values.

/** float32 values → bfloat16 bits, rounding to nearest even (as torch does); NaN stays NaN. */
export function toBfloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    // An exponent of all ones with a mantissa is NaN: rounding could carry it into infinity.
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) out[i] = 0x7fc0;
    else out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** bfloat16 bits → float32 values, written into `out` from `offset` (exact: every bfloat16 is a float32). */
export function fromBfloat16(halves: Uint16Array, out: Float32Array, offset = 0): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset + offset * 4, halves.length);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i]! << 16;
  return out;
}
