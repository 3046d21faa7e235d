import { describe, expect, it } from "vitest";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import {
  intelCoreType,
  parseCpuinfo,
  pinOpenBlasCore,
} from "../../../../worker/engine/kernels/openblas-core.ts";

// The first CPU of this machine's /proc/cpuinfo, cut down: a model number OpenBLAS 0.3.21 does not know.
const EMERALD_RAPIDS = `processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 207
model name\t: Intel(R) Xeon(R) Processor
flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16

processor\t: 1
vendor_id\t: GenuineIntel
flags\t\t: fpu sse
`;

describe("OpenBLAS's core", () => {
  it("reads the first CPU's vendor and flags", () => {
    const { vendor, flags } = parseCpuinfo(EMERALD_RAPIDS);
    expect(vendor).toBe("GenuineIntel");
    expect(flags.has("avx512_bf16")).toBe(true);
    expect(flags.size).toBe(15);
  });

  it("names the widest kernels the flags allow", () => {
    const core = (s: string) => intelCoreType(new Set(s.split(" ")));
    expect(core("avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl avx512_bf16")).toBe("Cooperlake");
    expect(core("avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl")).toBe("SkylakeX");
    // Xeon Phi's AVX-512 lacks BW/DQ/VL: SkylakeX's kernels would fault there.
    expect(core("avx avx2 fma avx512f avx512cd")).toBe("Haswell");
    expect(core("avx")).toBe("Sandybridge");
    expect(core("sse sse2")).toBeUndefined();
  });

  it("pins the core on Intel only, and never over the operator's choice", () => {
    const env: NodeJS.ProcessEnv = {};
    expect(pinOpenBlasCore(env, EMERALD_RAPIDS)).toBe("Cooperlake");
    expect(env.OPENBLAS_CORETYPE).toBe("Cooperlake");
    const set: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: "Haswell" };
    expect(pinOpenBlasCore(set, EMERALD_RAPIDS)).toBeUndefined();
    expect(set.OPENBLAS_CORETYPE).toBe("Haswell");
    const amd: NodeJS.ProcessEnv = {};
    expect(pinOpenBlasCore(amd, EMERALD_RAPIDS.replaceAll("GenuineIntel", "AuthenticAMD"))).toBeUndefined();
    expect(amd.OPENBLAS_CORETYPE).toBeUndefined();
  });

  const { blas } = loadBlas();
  it.skipIf(!blas || !process.env.OPENBLAS_CORETYPE)(
    "the loaded OpenBLAS runs the core the loader named",
    () => {
      // openblas_get_config names the core in use: this fails if the pin came after OpenBLAS had loaded.
      expect(blas!.config()).toContain(` ${process.env.OPENBLAS_CORETYPE} `);
    },
  );
});
