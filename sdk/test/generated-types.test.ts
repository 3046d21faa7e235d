// The committed types are what the service's /openapi.json generates today: any change to the API's schemas
// without `npm run generate --workspace sdk` fails here.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { GENERATED_TYPES_PATH, generateTypes } from "../scripts/generate-types.ts";

describe("generated OpenAPI types", () => {
  it("match a fresh generation from the service's /openapi.json", async () => {
    const committed = await readFile(GENERATED_TYPES_PATH, "utf8");
    const fresh = await generateTypes();
    expect(fresh.length).toBeGreaterThan(10_000);
    // toBe on whole files prints an unreadable diff; compare line by line to name the first difference.
    const a = committed.split("\n");
    const b = fresh.split("\n");
    const first = a.findIndex((line, i) => line !== b[i]);
    expect(
      first === -1 && a.length === b.length
        ? null
        : `line ${first + 1}: committed ${JSON.stringify(a[first])}, generated ${JSON.stringify(b[first])}`,
    ).toBeNull();
  });
});
