// What the engine's kernels use of a backend to read and write tensors in place: on wasm, outputs allocated on
// the heap and views of it; on cpu, the arrays its data store holds. tfjs types neither as a kernel's backend.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { TensorInfo } from "@tensorflow/tfjs-core";

export type WasmBackend = Pick<
  BackendWasm,
  "makeOutput" | "typedArrayFromHeap" | "disposeData" | "refCount" | "incRef"
>;

export interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo;
}
