#!/usr/bin/env node
// `npx grades`. In a checkout (dev dependencies installed) tsx compiles the TypeScript CLI on load, so it never
// runs stale code; a production install (`npm ci --omit=dev`: no tsx) runs the CLI `npm run build` compiled.
let tsx;
try {
  tsx = await import("tsx/esm/api");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
}
if (tsx) {
  tsx.register();
  await import("../cli/main.ts");
} else {
  await import("../dist/cli/main.js");
}
