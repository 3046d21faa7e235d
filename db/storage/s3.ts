// Objects in an S3 bucket, on AWS or any S3-compatible server (MinIO, s3rver, R2, …). Uploads stream through
// lib-storage's multipart Upload, so memory stays bounded by part size × queue size whatever the object's size.
import type { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { S3Config } from "../../common/config.ts";
import { toNodeReadable } from "./local.ts";
import {
  assertValidKey,
  type Body,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStorage,
  type PutOptions,
} from "./types.ts";

export interface S3StorageOptions extends S3Config {
  /** Explicit credentials (tests); absent: the SDK's standard chain (env, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Multipart part size in bytes (S3's minimum is 5 MiB). */
  partSize?: number;
  /** Parts uploaded at once. */
  queueSize?: number;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NoSuchKey" || e.name === "NotFound" || e.$metadata?.httpStatusCode === 404;
}

export class S3Storage implements ObjectStorage {
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(private readonly opts: S3StorageOptions) {
    const cfg: S3ClientConfig = {
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      // Newer SDKs add CRC checksums to every request and check them on every response; many S3-compatible
      // servers reject or omit them, so only send/check them where the S3 API requires it.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    };
    if (opts.endpoint) cfg.endpoint = opts.endpoint;
    if (opts.credentials) cfg.credentials = opts.credentials;
    this.client = new S3Client(cfg);
    this.bucket = opts.bucket;
    this.prefix = opts.prefix && !opts.prefix.endsWith("/") ? `${opts.prefix}/` : opts.prefix;
  }

  /** The same server and credentials, another bucket and prefix (e.g. to read a model from `s3://bucket/path/`). */
  /** Whether `s3://bucket/key` lies inside this storage's own area (its bucket, under its prefix). */
  contains(bucket: string, key: string): boolean {
    return bucket === this.bucket && key.startsWith(this.prefix);
  }

  sibling(bucket: string, prefix = ""): S3Storage {
    return new S3Storage({ ...this.opts, bucket, prefix });
  }

  get description(): string {
    return `s3://${this.bucket}/${this.prefix}${this.opts.endpoint ? ` at ${this.opts.endpoint}` : ""}`;
  }

  private fullKey(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Body, opts: PutOptions = {}): Promise<{ size: number }> {
    let size = 0;
    const source = toNodeReadable(body);
    source.on("data", (chunk: Buffer) => {
      size += chunk.length;
    });
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.fullKey(key),
        Body: source,
        ContentType: opts.contentType ?? "application/octet-stream",
      },
      partSize: this.opts.partSize ?? 8 * 1024 * 1024,
      queueSize: this.opts.queueSize ?? 4,
      // A failed multipart upload is aborted, so no half-written object or orphaned parts remain.
      leavePartsOnError: false,
    });
    await upload.done();
    if (opts.size !== undefined && opts.size !== size) {
      await this.delete(key);
      throw new Error(`object ${key}: expected ${opts.size} bytes, got ${size}`);
    }
    return { size };
  }

  async get(key: string): Promise<Readable> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
      );
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
      );
      return {
        key,
        size: res.ContentLength ?? 0,
        contentType: res.ContentType,
        lastModified: res.LastModified,
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ContinuationToken: token,
        }),
      );
      for (const o of res.Contents ?? []) {
        if (!o.Key) continue;
        out.push({
          key: o.Key.slice(this.prefix.length),
          size: o.Size ?? 0,
          contentType: undefined,
          lastModified: o.LastModified,
        });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<void> {
    const keys = (await this.list(prefix)).map((o) => o.key);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((k) => ({ Key: this.prefix + k })), Quiet: true },
        }),
      );
    }
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }
}
