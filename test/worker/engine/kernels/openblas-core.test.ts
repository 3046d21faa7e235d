import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BLAS_BINDING, loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import {
  intelCoreType,
  parseCpuinfo,
  pinOpenBlasCore,
} from "../../../../worker/engine/kernels/openblas-core.ts";

const CORE_MODULE = fileURLToPath(
  new URL("../../../../worker/engine/kernels/openblas-core.ts", import.meta.url),
);

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
    // OpenBLAS 0.3.21 cannot be forced to Cooperlake: BF16 or not, AVX-512 is SkylakeX.
    expect(core("avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl avx512_bf16")).toBe("SkylakeX");
    expect(core("avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl")).toBe("SkylakeX");
    // Xeon Phi's AVX-512 lacks BW/DQ/VL: SkylakeX's kernels would fault there.
    expect(core("avx avx2 fma avx512f avx512cd")).toBe("Haswell");
    expect(core("avx")).toBe("Sandybridge");
    expect(core("sse sse2")).toBeUndefined();
  });

  it("pins the core on Intel only, and never over the operator's choice", () => {
    const env: NodeJS.ProcessEnv = {};
    expect(pinOpenBlasCore(env, EMERALD_RAPIDS)).toBe("SkylakeX");
    expect(env.OPENBLAS_CORETYPE).toBe("SkylakeX");
    const set: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: "Haswell" };
    expect(pinOpenBlasCore(set, EMERALD_RAPIDS)).toBeUndefined();
    expect(set.OPENBLAS_CORETYPE).toBe("Haswell");
    const amd: NodeJS.ProcessEnv = {};
    expect(pinOpenBlasCore(amd, EMERALD_RAPIDS.replaceAll("GenuineIntel", "AuthenticAMD"))).toBeUndefined();
    expect(amd.OPENBLAS_CORETYPE).toBeUndefined();
  });

  // How training runs it: the binding first loads in a worker thread (worker/thread/train-in-thread.ts), whose
  // process.env OpenBLAS never reads, so the main thread pins the core before the thread starts. A fresh process
  // without OPENBLAS_CORETYPE does that here, and its thread reports the core OpenBLAS loaded with.
  it.skipIf(!loadBlas().blas)(
    "a core pinned on the main thread is the one a worker thread's OpenBLAS runs",
    () => {
      const script = `
      import { Worker } from "node:worker_threads";
      import { pinOpenBlasCore } from ${JSON.stringify(CORE_MODULE)};
      const core = pinOpenBlasCore(process.env) ?? "";
      const binding = ${JSON.stringify(BLAS_BINDING)};
      const thread = new Worker(
        "import { parentPort } from 'node:worker_threads'; import { createRequire } from 'node:module';" +
          "const binding = " + JSON.stringify(binding) + ";" +
          "parentPort.postMessage(createRequire(binding)(binding).config());",
        { eval: true },
      );
      thread.once("message", (config) => { console.log(JSON.stringify({ core, config })); thread.terminate(); });
    `;
      const { OPENBLAS_CORETYPE: _, ...env } = process.env;
      const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        env,
        encoding: "utf8",
      });
      const { core, config } = JSON.parse(out.trim().split("\n").pop()!) as { core: string; config: string };
      if (!core) return; // not an Intel CPU with AVX: OpenBLAS's own choice stands, nothing to check
      expect(config.toLowerCase()).toContain(` ${core.toLowerCase()} `);
    },
  );
});
