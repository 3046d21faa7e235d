// UnsortedSegmentSum for the wasm backend, which lacks it. tf.gather's gradient calls it, so without it an
// embedding lookup cannot be trained on wasm. It is a scatter-add done in JS on the backend's memory: the
// kernel runs once per backward pass over [tokens, hidden] values, which is cheap next to the matmuls.
import type { KernelConfig, KernelFunc, TensorInfo, TypedArray } from "@tensorflow/tfjs-core";
import { UnsortedSegmentSum } from "@tensorflow/tfjs-core";

interface WasmLikeBackend {
  readSync(dataId: object): TypedArray;
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: TypedArray): TensorInfo;
}

/**
 * out[segmentIds[i], ...] += x[i, ...] where segmentIds has the shape of x's leading dimensions; ids outside
 * [0, numSegments) are dropped, as in TensorFlow. Output shape [numSegments, ...x.shape[segmentIds.rank:]].
 */
export function unsortedSegmentSumValues(
  x: ArrayLike<number>,
  xShape: number[],
  segmentIds: ArrayLike<number>,
  segmentRank: number,
  numSegments: number,
): { values: Float32Array; shape: number[] } {
  const inner = xShape.slice(segmentRank);
  const innerSize = inner.reduce((a, b) => a * b, 1);
  const out = new Float32Array(numSegments * innerSize);
  for (let i = 0; i < segmentIds.length; i++) {
    const seg = segmentIds[i]!;
    if (seg < 0 || seg >= numSegments) continue;
    const src = i * innerSize;
    const dst = seg * innerSize;
    for (let j = 0; j < innerSize; j++) out[dst + j]! += x[src + j]!;
  }
  return { values: out, shape: [numSegments, ...inner] };
}

const unsortedSegmentSumWasm: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const b = backend as unknown as WasmLikeBackend;
  if (x.dtype !== "float32") throw new Error(`UnsortedSegmentSum (wasm): dtype ${x.dtype} is not supported`);
  const { values, shape } = unsortedSegmentSumValues(
    b.readSync(x.dataId),
    x.shape,
    b.readSync(segmentIds.dataId),
    segmentIds.shape.length,
    numSegments,
  );
  return b.makeOutput(shape, "float32", undefined, values);
};

export const unsortedSegmentSumWasmConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: "wasm",
  kernelFunc: unsortedSegmentSumWasm,
};
