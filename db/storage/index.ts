// Picks the object storage the configuration asks for: S3 when S3_BUCKET is set, a local folder otherwise.
import { join } from "node:path";
import type { Config } from "../../common/config.ts";
import { LocalStorage } from "./local.ts";
import { S3Storage } from "./s3.ts";
import type { ObjectStorage } from "./types.ts";

export { LocalStorage } from "./local.ts";
export { S3Storage, type S3StorageOptions } from "./s3.ts";
export * from "./types.ts";

export function openStorage(config: Pick<Config, "s3" | "dataDir">): ObjectStorage {
  if (config.s3) return new S3Storage(config.s3);
  return new LocalStorage(join(config.dataDir, "objects"));
}
