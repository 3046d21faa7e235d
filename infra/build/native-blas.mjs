// Install step (package.json "postinstall"): builds the OpenBLAS binding of the wasm backend's matmuls
// (worker/engine/kernels/blas/). It needs OpenBLAS's headers (Debian: libopenblas-dev) and a C compiler; where
// either is missing the install still succeeds and the matmuls run on XNNPACK, as this line says.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "../../worker/engine/kernels/blas");
// npm hands its own node-gyp to install scripts; run by hand, the one on PATH.
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp]] : ["node-gyp", []];
const r = spawnSync(cmd, [...args, "rebuild"], { cwd: DIR, encoding: "utf8" });
if (r.status === 0) {
  process.stdout.write("built the OpenBLAS binding: the wasm backend's matmuls run on OpenBLAS\n");
} else {
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}`;
  const why = /cblas\.h|-lopenblas/.test(out)
    ? "OpenBLAS is not installed (Debian: apt-get install libopenblas-dev, then npm install again)"
    : (out.split("\n").find((l) => /error/i.test(l)) ?? "node-gyp failed").trim();
  process.stdout.write(
    `the OpenBLAS binding was not built (${why}): the wasm backend's matmuls run on XNNPACK\n`,
  );
}
