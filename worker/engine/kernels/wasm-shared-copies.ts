// tfjs-backend-wasm's Identity kernel, and its Cast to the same dtype, copy the whole buffer. The gradient tape
// clones every tensor it saves for the backward pass (Identity), and mul's gradient casts its operands to
// float32 (a same-dtype Cast), so training copied every saved activation at least once: measured on the bench
// model, copies made up about a third of a LoRA step's peak tensor memory. Tensors are immutable (variables
// re-point to new buffers on assign), so these kernels share the buffer and count a reference instead, as the
// cpu backend's Identity does.
import {
  Cast,
  type DataType,
  getKernel,
  Identity,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";

interface RefCountingBackend {
  incRef(dataId: object): void;
}

function share(x: TensorInfo, backend: unknown): TensorInfo {
  (backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Identity and same-dtype Cast for wasm that share their input's buffer; undefined when already registered. */
export function sharedCopyKernels(): KernelConfig[] {
  const identity = getKernel(Identity, "wasm");
  const cast = getKernel(Cast, "wasm");
  if (!identity || !cast) return [];
  if ((identity.kernelFunc as { shares?: boolean }).shares) return [];
  const identityFunc: KernelFunc & { shares?: boolean } = ({ inputs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    return x.dtype === "string" ? identity.kernelFunc({ inputs, backend, attrs: {} }) : share(x, backend);
  };
  identityFunc.shares = true;
  const castFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { dtype } = args.attrs as unknown as { dtype: DataType };
    return dtype === x.dtype && dtype !== "string" ? share(x, args.backend) : cast.kernelFunc(args);
  };
  return [
    { ...identity, kernelFunc: identityFunc },
    { ...cast, kernelFunc: castFunc },
  ];
}
