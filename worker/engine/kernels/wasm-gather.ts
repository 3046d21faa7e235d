// tfjs-backend-wasm's GatherV2 (4.22) computes every element's source index on its own: gathering 512 rows of
// the bench model's [4096, 256] embedding took 8.5 ms (60 ns an element), 2-3 % of a training step for what is a
// copy of 512 rows. Along axis 0 (the embedding lookup, and the loss picking its target rows) each index names a
// whole contiguous row, so this kernel copies rows; every other gather keeps the stock kernel.
import {
  GatherV2,
  type GatherV2Attrs,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import type { WasmBackend as Backend } from "./backend-memory.ts";

/** GatherV2 for wasm copying whole rows along axis 0; undefined when already registered. */
export function rowGatherConfig(): KernelConfig | undefined {
  const original = getKernel(GatherV2, "wasm");
  if (!original) return undefined;
  if ((original.kernelFunc as { rows?: boolean }).rows) return undefined;
  const kernelFunc: KernelFunc & { rows?: boolean } = (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as GatherV2Attrs;
    const along = util.parseAxisParam(axis, x.shape)[0];
    if (along !== 0 || (batchDims ?? 0) !== 0 || x.dtype === "string" || x.dtype === "complex64")
      return original.kernelFunc(args);
    const backend = args.backend as unknown as Backend;
    const rows = x.shape[0]!;
    const rowSize = util.sizeFromShape(x.shape.slice(1));
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    // Views taken after the allocation: a heap that grew has a new buffer.
    const src = backend.typedArrayFromHeap(x);
    const ids = backend.typedArrayFromHeap(indices);
    const dst = backend.typedArrayFromHeap(out);
    for (let i = 0; i < ids.length; i++) {
      const r = ids[i]!;
      if (r < 0 || r >= rows) {
        backend.disposeData(out.dataId);
        // The cpu backend's words for it.
        throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
      }
      dst.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
    }
    return out;
  };
  kernelFunc.rows = true;
  return { ...original, kernelFunc };
}
