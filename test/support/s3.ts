// An S3-compatible server (s3rver) started in this process on a free port, with its data in a temp folder, and
// an empty bucket: the real S3 protocol for tests, without a network or an account.
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import type { S3StorageOptions } from "../../db/storage/s3.ts";

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** Options for `new S3Storage(…)`; `prefix` lets suites share one server. */
  storageOptions(prefix?: string): S3StorageOptions;
  close(): Promise<void>;
}

export async function startTestS3(bucket = "grades-test"): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), "grades-s3rver-"));
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const addr = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return {
    endpoint,
    bucket,
    storageOptions(prefix = "") {
      return {
        bucket,
        endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        prefix,
        // s3rver's fixed credentials.
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        // s3rver keeps parts in memory until completion; small parts keep tests light.
        partSize: 5 * 1024 * 1024,
      };
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
