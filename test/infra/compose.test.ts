// infra/compose.yaml against the Compose Specification's JSON schema (compose-spec/compose-spec's
// schema/compose-spec.json, Apache-2.0, vendored in test/infra/vendor/compose-spec with its source), validated
// with ajv; and what the schema cannot know: each command is a file the build produces, the Dockerfile exists, the
// order of start-up holds. Not checked: that the images exist or that the stack comes up (no container runtime).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ensureBuilt, ROOT } from "../support/build.ts";

/** Built entry points the compose file may name before their feature lands (the webhook dispatcher). */
const PENDING_ENTRIES = ["dist/infra/webhooks.js"];

// The file names draft-07 as https://json-schema.org/draft-07/schema, ajv by http://…#: without the reference
// ajv compiles it as draft-07, its default.
const { $schema: _draft07, ...schema } = JSON.parse(
  readFileSync(join(ROOT, "test/infra/vendor/compose-spec/compose-spec.json"), "utf8"),
);
// strict: false, as the schema uses keywords ajv's strict mode rejects in draft-07 (e.g. unknown "format"s).
const ajv = new Ajv({ strict: false, allErrors: true });
const validateCompose = ajv.compile(schema);

type Service = Record<string, any>;
const compose = parse(readFileSync(join(ROOT, "infra/compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
};

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe("infra/compose.yaml", () => {
  it("is valid under the Compose Specification's schema", () => {
    const ok = validateCompose(compose);
    expect(ok ? [] : validateCompose.errors!.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
  });

  it("fails the schema when a service is malformed (the check can fail)", () => {
    const broken = structuredClone(compose);
    broken.services.api!.ports = "8080:8080";
    broken.services.worker!.deploy = { replicas: "two" };
    expect(validateCompose(broken)).toBe(false);
  });

  it("has Postgres, MinIO, a one-shot migrate, the API, several workers and the webhook dispatcher", () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ["api", "bucket", "migrate", "minio", "postgres", "webhooks", "worker"].sort(),
    );
    expect(compose.services.worker!.deploy.replicas).toBeGreaterThan(1);
    expect(compose.services.migrate!.restart).toBe("no");
    for (const name of ["api", "worker"]) {
      expect(compose.services[name]!.depends_on.migrate.condition).toBe("service_completed_successfully");
    }
  });

  it("runs each service of the image with an entry point of the build, from a Dockerfile that exists", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image !== "grades-finetune:local") continue;
      expect(existsSync(join(ROOT, "infra", service.build.context, service.build.dockerfile)), name).toBe(
        true,
      );
      const [node, entry] = service.command as string[];
      expect(node, name).toBe("node");
      if (!PENDING_ENTRIES.includes(entry!))
        expect(existsSync(join(ROOT, entry!)), `${name}: ${entry}`).toBe(true);
      // Every service of the image reaches the same database and bucket.
      expect(service.environment.DATABASE_URL, name).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(service.environment.S3_ENDPOINT, name).toBe("http://minio:9000");
    }
  });
});
