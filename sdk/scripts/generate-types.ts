// Regenerates src/generated/openapi.ts from the service's own /openapi.json: the app is built by its one factory
// (with a test database and storage, which the document does not depend on), the document is read through
// app.request, and openapi-typescript turns it into types. Biome formats the result so it passes the linter
// unchanged. `npm run generate --workspace sdk` writes the file; sdk/test/generated-types.test.ts fails when
// the committed file differs from a fresh run.
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import { createTestApp } from "../../test/support/app.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
export const GENERATED_TYPES_PATH = join(here, "..", "src", "generated", "openapi.ts");

const HEADER = `// Generated from the service's /openapi.json by sdk/scripts/generate-types.ts (openapi-typescript).
// Do not edit: run \`npm run generate --workspace sdk\`.
`;

export async function serviceOpenApiDocument(): Promise<Record<string, unknown>> {
  const t = await createTestApp();
  try {
    const res = await t.request("/openapi.json");
    if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  } finally {
    await t.close();
  }
}

/** The file's text, exactly as committed. */
export async function generateTypes(): Promise<string> {
  const ast = await openapiTS(
    (await serviceOpenApiDocument()) as unknown as Parameters<typeof openapiTS>[0],
    { alphabetize: true },
  );
  const source = HEADER + astToString(ast);
  return execFileSync(
    join(root, "node_modules", ".bin", "biome"),
    ["format", `--stdin-file-path=${relative(root, GENERATED_TYPES_PATH)}`],
    { cwd: root, input: source, encoding: "utf8" },
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(GENERATED_TYPES_PATH, await generateTypes());
  console.log(`wrote ${relative(process.cwd(), GENERATED_TYPES_PATH)}`);
}
