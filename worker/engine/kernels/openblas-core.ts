// Which kernels OpenBLAS runs. Its DYNAMIC_ARCH build (Debian's) picks them by the CPU's model number, and a
// model it does not know falls back to Prescott's SSE3 kernels: 0.3.21 does not know Emerald Rapids (family 6,
// model 207), nor the generic models some hypervisors report, and there its sgemm runs about 6× slower than on
// the AVX-512 kernels the same CPU has. So, on Intel CPUs, the loader names the core from the CPU's feature
// flags before OpenBLAS loads (OPENBLAS_CORETYPE, read once by OpenBLAS at load). This is the mapping OpenBLAS
// itself applies to the Intel models it knows, so where it knows the CPU nothing changes. Other vendors keep
// OpenBLAS's own choice, and an OPENBLAS_CORETYPE the operator set always wins.
import { readFileSync } from "node:fs";

/** The core OpenBLAS should use for an Intel CPU with these feature flags (as /proc/cpuinfo names them). */
export function intelCoreType(flags: ReadonlySet<string>): string | undefined {
  const avx512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].every((f) => flags.has(f));
  if (avx512 && flags.has("avx512_bf16")) return "Cooperlake";
  if (avx512) return "SkylakeX";
  if (flags.has("avx2") && flags.has("fma")) return "Haswell";
  if (flags.has("avx")) return "Sandybridge";
  return undefined;
}

/** The vendor and feature flags of the first CPU in a /proc/cpuinfo text. */
export function parseCpuinfo(text: string): { vendor?: string; flags: Set<string> } {
  const field = (name: string) => text.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim();
  return { vendor: field("vendor_id"), flags: new Set((field("flags") ?? "").split(/\s+/).filter(Boolean)) };
}

/**
 * Sets OPENBLAS_CORETYPE in env from the CPU's flags, unless it is set already or the CPU is not Intel. Returns
 * the core it set, if any. Call before the binding loads; child processes (PyTorch's OpenBLAS in the side-by-side
 * bench) inherit it, so both sides run the same kernels.
 */
export function pinOpenBlasCore(env: NodeJS.ProcessEnv, cpuinfo: string | undefined = readCpuinfo()) {
  if (env.OPENBLAS_CORETYPE || cpuinfo === undefined) return undefined;
  const { vendor, flags } = parseCpuinfo(cpuinfo);
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
