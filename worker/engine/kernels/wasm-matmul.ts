// tfjs-backend-wasm's BatchMatMul (4.22) is fast only on plain operands of batch 1, the case it hands to
// XNNPACK's fully-connected operator; everything else runs a scalar loop of its own, single-threaded:
// - a transposed operand: about ten times slower (measured: [2048, 896] x [896, 896]^T takes 2.1 s against
//   0.19 s untransposed). Every x W^T projection and every matmul gradient has one.
// - a batch above 1: about five times slower (measured: [16, 256, 128] x [16, 128, 32] takes 50 ms as one
//   batched call against 9 ms as sixteen 2-D ones). Attention's scores and context, and their gradients, are
//   batched over batch × key-value heads.
// This wrapper brings every call to the fast case: it materialises a transposed operand with the Transpose
// kernel (a cheap copy) and runs a batched product as one fast product per batch item, each on a copy of its
// operands' rows, joined by Concat. The copies are plain copies of the wasm heap: the stock Slice kernel takes
// longer over a batch than the products themselves (28 ms for the sixteen items above).
// Given OpenBLAS (kernels/blas.ts), every product is one sgemm per batch item instead, straight on the heap:
// sgemm takes transposed operands and strides itself, so nothing is copied.
import {
  BatchMatMul,
  broadcast_util,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import type { WasmBackend as Backend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

/** Batch item `i` of a row-major [batch, ...rest] tensor, copied into a tensor of its own. */
function batchItem(backend: Backend, x: TensorInfo, i: number): TensorInfo {
  const shape = [1, ...x.shape.slice(1)];
  const size = util.sizeFromShape(shape);
  const out = backend.makeOutput(shape, x.dtype);
  // Views taken after the allocation: a heap that grew has a new buffer.
  const from = backend.typedArrayFromHeap(x);
  backend.typedArrayFromHeap(out).set(from.subarray(i * size, (i + 1) * size));
  return out;
}

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * The item of an operand with batch shape `own` that item `i` of the broadcast batch shape `out` reads (dims
 * aligned on the right, size-1 dims broadcast). The stock kernel gets this wrong when both operands broadcast
 * (it sizes the output by the larger batch), so every batched product takes this path.
 */
function broadcastItem(i: number, out: number[], own: number[]): number {
  const padded = [...Array<number>(out.length - own.length).fill(1), ...own];
  let item = 0;
  let rest = i;
  let stride = 1;
  for (let d = out.length - 1; d >= 0; d--) {
    const index = rest % out[d]!;
    rest = Math.floor(rest / out[d]!);
    if (padded[d]! > 1) item += index * stride;
    stride *= padded[d]!;
  }
  return item;
}

/** The wasm kernels the wrapper is built from; undefined when one is missing. */
function wasmKernels() {
  const names = ["Transpose", "Reshape", "Concat"] as const;
  const found = names.map((n) => getKernel(n, "wasm")?.kernelFunc);
  if (found.some((k) => !k)) return undefined;
  const [transpose, reshape, concat] = found as KernelFunc[];
  return { transpose: transpose!, reshape: reshape!, concat: concat! };
}

/** BatchMatMul as one OpenBLAS sgemm per item of the broadcast batch, reading and writing the heap in place. */
function blasMatMul(blas: Blas, stock: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    // sgemm is float32's; anything else keeps the stock kernel.
    if (a.dtype !== "float32" || b.dtype !== "float32") return stock(args);
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const wasm = backend as unknown as Backend;
    const [ra, rb] = [a.shape.length, b.shape.length];
    const m = a.shape[transposeA ? ra - 1 : ra - 2]!;
    const k = a.shape[transposeA ? ra - 2 : ra - 1]!;
    const n = b.shape[transposeB ? rb - 2 : rb - 1]!;
    const ownA = a.shape.slice(0, -2);
    const ownB = b.shape.slice(0, -2);
    const batchShape = broadcast_util.assertAndGetBroadcastShape(ownA, ownB);
    const batch = util.sizeFromShape(batchShape);
    const out = wasm.makeOutput([...batchShape, m, n], a.dtype);
    // Views taken after the allocation: a heap that grew has a new buffer.
    const [ha, hb, hc] = [a, b, out].map((t) => wasm.typedArrayFromHeap(t) as Float32Array);
    for (let i = 0; i < batch; i++) {
      const ia = batch === 1 ? 0 : broadcastItem(i, batchShape, ownA);
      const ib = batch === 1 ? 0 : broadcastItem(i, batchShape, ownB);
      blas.sgemm(transposeA, transposeB, m, n, k, ha!, ia * m * k, hb!, ib * k * n, hc!, i * m * n);
    }
    return out;
  };
}

/**
 * Wraps the wasm BatchMatMul kernel so every product it computes is a plain, batch-1 XNNPACK one, or, given
 * OpenBLAS, an sgemm.
 */
export function fastTransposedMatMulConfig(blas?: Blas): KernelConfig | undefined {
  const original = getKernel(BatchMatMul, "wasm");
  const k = wasmKernels();
  if (!original || !k) return undefined;
  // Registered once: wrapping our own wrapper again would be harmless but pointless.
  if ((original.kernelFunc as { fastTransposed?: boolean }).fastTransposed) return undefined;
  if (blas) {
    const kernelFunc: KernelFunc & { fastTransposed?: boolean; stock?: KernelFunc } = blasMatMul(
      blas,
      original.kernelFunc,
    );
    kernelFunc.fastTransposed = true;
    kernelFunc.stock = original.kernelFunc;
    return { ...original, kernelFunc };
  }

  const kernelFunc: KernelFunc & { fastTransposed?: boolean; stock?: KernelFunc } = (args) => {
    const { inputs, attrs, backend } = args;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const temps: TensorInfo[] = [];
    const run = (f: KernelFunc, i: Record<string, TensorInfo> | TensorInfo[], a: Record<string, unknown>) => {
      const t = f({ inputs: i, attrs: a, backend } as Parameters<KernelFunc>[0]) as TensorInfo;
      temps.push(t);
      return t;
    };
    const plain = (x: TensorInfo, transposed: boolean): TensorInfo =>
      transposed ? run(k.transpose, { x }, { perm: swapLastTwo(x.shape.length) }) : x;
    try {
      const a = plain((inputs as { a: TensorInfo }).a, transposeA);
      const b = plain((inputs as { b: TensorInfo }).b, transposeB);
      const fast = { transposeA: false, transposeB: false };
      const batchShape = broadcast_util.assertAndGetBroadcastShape(
        a.shape.slice(0, -2),
        b.shape.slice(0, -2),
      );
      const batch = util.sizeFromShape(batchShape);
      if (batch === 1)
        return original.kernelFunc({ inputs: { a, b }, attrs: { ...attrs, ...fast }, backend });
      const m = a.shape[a.shape.length - 2]!;
      const n = b.shape[b.shape.length - 1]!;
      const itemOf = (x: TensorInfo) => {
        const own = x.shape.slice(0, -2);
        const x3 = run(k.reshape, { x }, { shape: [util.sizeFromShape(own), ...x.shape.slice(-2)] });
        return (i: number): TensorInfo => {
          if (x3.shape[0] === 1) return x3;
          const t = batchItem(backend as unknown as Backend, x3, broadcastItem(i, batchShape, own));
          temps.push(t);
          return t;
        };
      };
      const [aItem, bItem] = [itemOf(a), itemOf(b)];
      const parts: TensorInfo[] = [];
      for (let i = 0; i < batch; i++) {
        parts.push(run(original.kernelFunc, { a: aItem(i), b: bItem(i) }, { ...attrs, ...fast }));
      }
      // Concat takes its inputs as a list.
      const joined = run(k.concat, parts, { axis: 0 });
      // The result is the one tensor not disposed below.
      return k.reshape({
        inputs: { x: joined },
        attrs: { shape: [...batchShape, m, n] },
        backend,
      } as Parameters<KernelFunc>[0]) as TensorInfo;
    } finally {
      for (const t of temps) (backend as unknown as Backend).disposeData(t.dataId);
    }
  };
  kernelFunc.fastTransposed = true;
  // Kept for the benchmark that compares both.
  kernelFunc.stock = original.kernelFunc;
  return { ...original, kernelFunc };
}
