// models through the SDK against the live service on S3 storage (s3rver): register from uploaded files and from
// an s3:// prefix, list, retrieve, delete, and the service's refusals as typed errors.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuiltinModels } from "../../api/index.ts";
import { silentLogger } from "../../common/logger.ts";
import { S3Storage } from "../../db/storage/s3.ts";
import { startTestS3, type TestS3 } from "../../test/support/s3.ts";
import {
  BadRequestError,
  ConflictError,
  type Grades,
  NotFoundError,
  PermissionDeniedError,
  UnprocessableEntityError,
} from "../src/index.ts";
import { writeModelFolder } from "./support/model-folder.ts";
import { startTestService, type TestService } from "./support/service.ts";

let s3: TestS3;
let svc: TestService;
let client: Grades;
let dir: string;

beforeAll(async () => {
  s3 = await startTestS3();
  svc = await startTestService({ storage: new S3Storage(s3.storageOptions("service")) });
  client = svc.client();
  dir = await mkdtemp(join(tmpdir(), "grades-sdk-model-"));
  await writeModelFolder(dir);
});
afterAll(async () => {
  await svc?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

async function uploadFolder(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of await readdir(dir)) {
    files[name] = (await client.files.create({ file: join(dir, name), purpose: "user_data" })).id;
  }
  return files;
}

describe("models", () => {
  it("registers from uploaded files, lists, retrieves and deletes", async () => {
    const model = await client.models.register({
      id: "sdk-llama",
      source: { type: "files", files: await uploadFolder() },
    });
    expect(model).toMatchObject({ id: "sdk-llama", object: "model", kind: "base", model_type: "llama" });
    expect(await client.models.retrieve("sdk-llama")).toEqual(model);
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain("sdk-llama");

    const again = await client.models
      .register({ id: "sdk-llama", source: { type: "files", files: await uploadFolder() } })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConflictError);
    expect(again).toMatchObject({ param: "id", code: "model_exists" });

    expect(await client.models.delete("sdk-llama")).toEqual({
      id: "sdk-llama",
      object: "model",
      deleted: true,
    });
    expect(await client.models.retrieve("sdk-llama").catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });

  it("registers from an s3:// prefix", async () => {
    const source = new S3Storage(s3.storageOptions(""));
    for (const name of await readdir(dir))
      await source.put(`hf/sdk/${name}`, await readFile(join(dir, name)));
    const model = await client.models.register({
      id: "sdk-from-s3",
      source: { type: "s3", uri: `s3://${s3.bucket}/hf/sdk/` },
    });
    expect(model).toMatchObject({ id: "sdk-from-s3", model_type: "llama" });
    const empty = await client.models
      .register({ id: "nothing", source: { type: "s3", uri: `s3://${s3.bucket}/hf/none/` } })
      .catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(UnprocessableEntityError);
    expect(empty).toMatchObject({ status: 422, param: "source.uri", code: "invalid_model" });
  });

  it("names the field of a bad registration, and refuses to delete a built-in model", async () => {
    const bad = await client.models
      .register({ id: "bad id!", source: { type: "files", files: {} } })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad).toMatchObject({ param: "id" });
    await ensureBuiltinModels({ db: svc.t.db.db, storage: svc.t.storage, logger: silentLogger() });
    const builtIn = await client.models.delete("demo-tiny").catch((e: unknown) => e);
    expect(builtIn).toBeInstanceOf(PermissionDeniedError);
    expect(builtIn).toMatchObject({ status: 403, code: "forbidden" });
  });
});
