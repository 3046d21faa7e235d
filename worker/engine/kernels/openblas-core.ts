// Which kernels OpenBLAS runs. Its DYNAMIC_ARCH build (Debian's) picks them by the CPU's model number, and a
// model it does not know falls back to Prescott's SSE3 kernels: 0.3.21 does not know Emerald Rapids (family 6,
// model 207), nor the generic models some hypervisors report, and there its sgemm runs about 6× slower than on
// the AVX-512 kernels the same CPU has. So, on Intel CPUs, the core is named from the CPU's feature flags
// before OpenBLAS loads (OPENBLAS_CORETYPE, which OpenBLAS reads once, from the process's environment, when it
// loads). Only names 0.3.21 accepts are used (it has no "Cooperlake" to force; SkylakeX's sgemm is as fast).
// Where OpenBLAS knows the CPU this is the core it would pick or one with the same sgemm. Other vendors keep
// OpenBLAS's own choice, and an OPENBLAS_CORETYPE the operator set always wins.
//
// A worker thread's process.env is a copy of its own, which OpenBLAS never sees: whatever starts training on a
// thread pins the core on the main thread first (worker/thread/train-in-thread.ts).
import { readFileSync } from "node:fs";

/** The core OpenBLAS should use for an Intel CPU with these feature flags (as /proc/cpuinfo names them). */
export function intelCoreType(flags: ReadonlySet<string>): string | undefined {
  const avx512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].every((f) => flags.has(f));
  if (avx512) return "SkylakeX";
  if (flags.has("avx2") && flags.has("fma")) return "Haswell";
  if (flags.has("avx")) return "Sandybridge";
  return undefined;
}

/** The vendor and feature flags of the first CPU in a /proc/cpuinfo text. */
export function parseCpuinfo(text: string): { vendor?: string; flags: Set<string> } {
  const field = (name: string) => text.match(new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, "m"))?.[1]?.trim();
  return { vendor: field("vendor_id"), flags: new Set((field("flags") ?? "").split(/\s+/).filter(Boolean)) };
}

/**
 * Sets OPENBLAS_CORETYPE in env from the CPU's flags, unless it is set already or the CPU is not Intel. Returns
 * the core it set, if any. Call before the binding loads; child processes (PyTorch's OpenBLAS in the side-by-side
 * bench) inherit it, so both sides run the same kernels.
 */
export function pinOpenBlasCore(env: NodeJS.ProcessEnv, cpuinfo?: string) {
  if (env.OPENBLAS_CORETYPE) return undefined;
  const text = cpuinfo ?? readCpuinfo();
  if (text === undefined) return undefined;
  const { vendor, flags } = parseCpuinfo(text);
  if (vendor !== "GenuineIntel") return undefined;
  const core = intelCoreType(flags);
  if (core) env.OPENBLAS_CORETYPE = core;
  return core;
}

function readCpuinfo(): string | undefined {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return undefined; // not Linux: OpenBLAS's own detection stands
  }
}
