// OpenBLAS for the wasm backend's matmuls, through the small Node-API binding beside this file (blas/sgemm.c),
// which also carries compiled element-wise kernels: AdamW's update, SwiGLU's product, RMSNorm, rotary
// embeddings, attention's softmax between its products, the next-token loss's cross-entropy, GradES's L1
// distance, the gradients' sum of squares and the replicas' gradient sum (blas/*.c).
// XNNPACK's wasm kernels are limited to 128-bit SIMD; OpenBLAS picks the widest kernel the CPU has (AVX-512
// here) and runs the same products several times faster (docs/engine.md has the figures). The binding is built
// at install (infra/build/native-blas.mjs) where OpenBLAS's headers are installed (Debian: libopenblas-dev);
// without it the matmuls stay on XNNPACK.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { pinOpenBlasCore } from "./openblas-core.ts";

/** Attention's dimensions as blas/attention.c takes them first: q is [batch · kvHeads, M, D], M = g · T. */
export type AttentionDims = [batch: number, kvHeads: number, M: number, T: number, S: number, D: number];

export interface Blas {
  /**
   * Row-major c[m, n] = alpha · op(a)[m, k] · op(b)[k, n] + beta · c[m, n] (alpha 1, beta 0 unless given), the
   * operands read from (and c written to) at the offsets.
   */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOffset: number,
    b: Float32Array,
    bOffset: number,
    c: Float32Array,
    cOffset: number,
    alpha?: number,
    beta?: number,
  ): void;
  /**
   * AdamW's update in one compiled pass (blas/adamw.c): w, g, m, v and the three outputs, all of one length, then
   * the constants adamwStepValues (kernels/adamw-step.ts) computes, in its order, clipping's factor of g, and
   * optionally an array of that length that receives the new weights too.
   */
  adamw(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    outW: Float32Array,
    outM: Float32Array,
    outV: Float32Array,
    beta1: number,
    beta2: number,
    epsilon: number,
    decay: number,
    stepSize: number,
    c2: number,
    gradScale: number,
    copyTo?: Float32Array,
  ): void;
  /** sig = sigmoid(gate), out = gate · sig · up (blas/swiglu.c); four arrays of one length. */
  swigluForward(gate: Float32Array, up: Float32Array, sig: Float32Array, out: Float32Array): void;
  /** SwiGLU's gradients: dgate = dy · up · s (1 + gate (1 - s)), dup = dy · gate · s. */
  swigluBackward(
    dy: Float32Array,
    gate: Float32Array,
    sig: Float32Array,
    up: Float32Array,
    dgate: Float32Array,
    dup: Float32Array,
  ): void;
  /** RMSNorm over rows of weight's length: y = x · r · weight, r = rsqrt(mean(x²) + eps) per row (blas/rms-norm.c). */
  rmsNormForward(x: Float32Array, weight: Float32Array, eps: number, y: Float32Array, r: Float32Array): void;
  /** RMSNorm's gradients from dy and the forward pass's x, weight and r. */
  rmsNormBackward(
    dy: Float32Array,
    x: Float32Array,
    weight: Float32Array,
    r: Float32Array,
    dx: Float32Array,
    dw: Float32Array,
  ): void;
  /** Rotary embeddings of x [B, T, H, D] into out [B, H, T, D] with the tables cos, sin [T, D] (blas/rotary.c). */
  rotaryForward(
    B: number,
    T: number,
    H: number,
    D: number,
    x: Float32Array,
    cos: Float32Array,
    sin: Float32Array,
    out: Float32Array,
  ): void;
  /** The gradient: dy [B, H, T, D] into dx [B, T, H, D]. */
  rotaryBackward(
    B: number,
    T: number,
    H: number,
    D: number,
    dy: Float32Array,
    cos: Float32Array,
    sin: Float32Array,
    dx: Float32Array,
  ): void;
  /** sum |a[i] - b[i]| over two arrays of one length, in double (blas/l1-distance.c). */
  l1Distance(a: Float32Array, b: Float32Array): number;
  /**
   * grad_snr's averages of one tensor (blas/signal-average.c): mOut = b m + (1 - b) g, sOut = b s + (1 - b) g²;
   * returns [sum mOut², sum sOut] in double.
   */
  signalAverage(
    g: Float32Array,
    m: Float32Array,
    s: Float32Array,
    mOut: Float32Array,
    sOut: Float32Array,
    beta: number,
  ): [number, number];
  /** sum a[i]² over an array, in double (blas/sum-squares.c). */
  sumSquares(a: Float32Array): number;
  /**
   * out = x + a in float32, three arrays of one length; out may be x (blas/add-floats.c). Returns the sum of
   * out's squares, in double.
   */
  addFloats(x: Float32Array, a: Float32Array, out: Float32Array): number;
  /**
   * Attention's core per batch item and kv head (blas/attention.c): probs = softmax(q k^T + mask), out = probs v;
   * q [batch · kvHeads, M, D], k and v [batch · kvHeads, S, D], mask [batch, T, S], M a multiple of T.
   */
  attentionForward(
    ...args: [
      ...AttentionDims,
      q: Float32Array,
      k: Float32Array,
      v: Float32Array,
      mask: Float32Array,
      probs: Float32Array,
      out: Float32Array,
    ]
  ): void;
  /** Its gradients dq, dk, dv from dOut and the forward pass's q, k, v and probs. */
  attentionBackward(
    ...args: [
      ...AttentionDims,
      dOut: Float32Array,
      q: Float32Array,
      k: Float32Array,
      v: Float32Array,
      probs: Float32Array,
      dq: Float32Array,
      dk: Float32Array,
      dv: Float32Array,
    ]
  ): void;
  /**
   * Softmax cross-entropy per row of logits [rows, V] with its target word (blas/cross-entropy.c): loss[r] =
   * -log softmax(x_r)[y_r], grad = softmax(x) - onehot(y).
   */
  crossEntropy(
    V: number,
    logits: Float32Array,
    targets: Int32Array,
    loss: Float32Array,
    grad: Float32Array,
  ): void;
  /** OpenBLAS's thread count (process-wide). */
  setThreads(threads: number): void;
  /** OpenBLAS's build string, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64". */
  config(): string;
}

/** Where the install step writes the binding. */
export const BLAS_BINDING = fileURLToPath(new URL("./blas/build/Release/grades_blas.node", import.meta.url));

/** The function the binding gained last: its presence tells a current build. */
const LATEST_FUNCTION = "crossEntropy" satisfies keyof Blas;
const STALE_BINDING = "the OpenBLAS binding was built from older sources (npm install rebuilds it)";

/**
 * The loaded module as the Blas it should be, or the reason it is not used: a binding built from older sources
 * (a checkout updated without npm install) lacks the newest function, and its older ones may take other
 * arguments, so it is not used rather than called wrongly.
 */
export function currentBinding(module: object): { blas?: Blas; reason?: string } {
  return LATEST_FUNCTION in module ? { blas: module as Blas } : { reason: STALE_BINDING };
}

let loaded: { blas?: Blas; reason?: string } | undefined;

/** The binding, or undefined with the reason (not built, or OpenBLAS missing at run time). */
export function loadBlas(): { blas?: Blas; reason?: string } {
  if (loaded) return loaded;
  if (!existsSync(BLAS_BINDING)) {
    loaded = { reason: "the OpenBLAS binding is not built (install libopenblas-dev, then npm install)" };
    return loaded;
  }
  // Before OpenBLAS loads with the binding, which is when it reads the variable.
  pinOpenBlasCore(process.env);
  try {
    loaded = currentBinding(createRequire(import.meta.url)(BLAS_BINDING) as object);
  } catch (err) {
    loaded = { reason: `the OpenBLAS binding did not load: ${(err as Error).message}` };
  }
  return loaded;
}
