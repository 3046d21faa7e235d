// The second half of `npm run build`, after tsc: what plain node needs beyond tsc's output.
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const DIST = join(ROOT, "dist");
const require = createRequire(import.meta.url);

// tfjs-core's gradient configs exist only as its ES module files (dist/gradients/*.js), which import each other
// without file extensions in a package not marked as ES modules: plain node cannot load them (tsx can). So the
// compiled kernels/gradients.js gets them bundled in; the package entry stays external, so the configs register
// into the same global registry as the engine's own tfjs-core.
const gradients = join(DIST, "worker/engine/kernels/gradients.js");
await build({
  entryPoints: [gradients],
  outfile: gradients,
  allowOverwrite: true,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  logLevel: "warning",
  plugins: [
    {
      name: "tfjs-core-entry-external",
      setup(b) {
        b.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, (args) => ({ path: args.path, external: true }));
      },
    },
  ],
});
process.stdout.write("bundled tfjs-core's gradient modules into worker/engine/kernels/gradients.js\n");

const BLAS_BINDING = "worker/engine/kernels/blas/build/Release/grades_blas.node";

/** [source, destination inside dist/]: files the compiled modules read through paths relative to themselves. */
const ASSETS = [
  // db/client.ts applies the committed SQL migrations from the folder beside it.
  [join(ROOT, "db/migrations"), "db/migrations"],
  // models/builtin.ts finds the built-in model's weights and tokenizer in the folder beside it.
  [join(ROOT, "models/tiny-english-2m"), "models/tiny-english-2m"],
  // api/docs.ts serves Scalar's standalone bundle from beside it, so production needs no @scalar/api-reference.
  [require.resolve("@scalar/api-reference/browser/standalone.js"), "api/assets/api-reference.js"],
  // worker/engine/kernels/blas.ts loads the OpenBLAS binding from beside it, where the install built one.
  ...(existsSync(join(ROOT, BLAS_BINDING)) ? [[join(ROOT, BLAS_BINDING), BLAS_BINDING]] : []),
];
for (const [from, to] of ASSETS) {
  const dest = join(DIST, to);
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(from, dest, { recursive: true });
  process.stdout.write(`copied ${to}\n`);
}
