import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../common/config.ts";

describe("configuration", () => {
  it("defaults to the embedded form on port 8080", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      databaseUrl: undefined,
      dataDir: "./.grades",
      s3: undefined,
      backend: "auto",
    });
    expect(c.maxUploadBytes).toBe(512 * 1024 * 1024);
  });

  it("reads S3 and Postgres settings", () => {
    const c = loadConfig({
      DATABASE_URL: "postgres://u@db:5432/grades",
      S3_BUCKET: "b",
      S3_ENDPOINT: "http://minio:9000",
      S3_FORCE_PATH_STYLE: "false",
      PORT: "9000",
      GRADES_BACKEND: "wasm",
    });
    expect(c.databaseUrl).toBe("postgres://u@db:5432/grades");
    expect(c.s3).toEqual({
      bucket: "b",
      endpoint: "http://minio:9000",
      region: "us-east-1",
      forcePathStyle: false,
      prefix: "",
    });
    expect(c.port).toBe(9000);
    expect(c.backend).toBe("wasm");
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ PORT: "", S3_BUCKET: "" })).toMatchObject({ port: 8080, s3: undefined });
  });

  it("names the bad variable and its value", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT.*"eighty"/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ GRADES_BACKEND: "gpu" })).toThrow(/GRADES_BACKEND/);
    expect(() => loadConfig({ S3_ENDPOINT: "http://minio:9000" })).toThrow(/S3_BUCKET/);
  });
});
