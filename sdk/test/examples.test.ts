// The README's quickstart and the scripts in examples/, run as a user runs them (tsx, configuration from the
// environment) against the live service with a worker: they import "@grades-finetune/sdk", mapped here to this
// checkout's sources.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeModelFolder } from "./support/model-folder.ts";
import { chatDataset, startTestService, type TestService } from "./support/service.ts";

const run = promisify(execFile);
const sdkDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsx = join(sdkDir, "..", "node_modules", ".bin", "tsx");
const SECRET = `whsec_${Buffer.from("examples-webhook-secret-32-bytes").toString("base64")}`;

let svc: TestService;
let work: string;
let env: NodeJS.ProcessEnv;
let tsconfig: string;

beforeAll(async () => {
  svc = await startTestService({ worker: true });
  work = await mkdtemp(join(tmpdir(), "grades-sdk-examples-"));
  await writeFile(join(work, "train.jsonl"), chatDataset(8));
  await writeFile(join(work, "package.json"), JSON.stringify({ type: "module" }));
  tsconfig = join(work, "tsconfig.json");
  await writeFile(
    tsconfig,
    JSON.stringify({
      compilerOptions: {
        module: "NodeNext",
        moduleResolution: "NodeNext",
        allowImportingTsExtensions: true,
        paths: { "@grades-finetune/sdk": [join(sdkDir, "src", "index.ts")] },
      },
    }),
  );
  env = {
    ...process.env,
    GRADES_API_KEY: svc.apiKey,
    GRADES_BASE_URL: svc.baseURL,
    GRADES_WEBHOOK_SECRET: SECRET,
  };
});
afterAll(async () => {
  await svc?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const script = (file: string, args: string[] = []) =>
  run(tsx, ["--tsconfig", tsconfig, file, ...args], { cwd: work, env });

/** The first ```ts block under "## Quickstart". */
async function quickstart(): Promise<string> {
  const readme = await readFile(join(sdkDir, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Quickstart"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error("no ```ts block under ## Quickstart in sdk/README.md");
  return code;
}

describe("README and examples", () => {
  it("runs the README quickstart: a job trained, waited for and its adapter unpacked", async () => {
    await writeFile(join(work, "quickstart.ts"), await quickstart());
    const { stdout } = await script("quickstart.ts");
    const lines = stdout.trim().split("\n");
    expect(lines.filter((l) => /^succeeded step 4\/4 frozen [\d.]+$/.test(l))).toHaveLength(1);
    const final = lines.find((l) => l.startsWith("succeeded ft:"));
    expect(final).toMatch(/^succeeded ft:demo-tiny:test-tenant::/);
    expect(await readdir(join(work, "adapter"))).toEqual(
      expect.arrayContaining(["adapter_config.json", "adapter_model.safetensors"]),
    );
  });

  it("runs examples/job-to-adapter.ts with its progress bar", async () => {
    const { stdout, stderr } = await script(join(sdkDir, "examples", "job-to-adapter.ts"), [
      "train.jsonl",
      "out",
      "demo-tiny",
      "2",
    ]);
    const result = JSON.parse(stdout) as { job: string; dir: string; files: string[] };
    expect(result.files).toEqual(
      expect.arrayContaining(["adapter_config.json", "adapter_model.safetensors"]),
    );
    expect(await readdir(join(work, "out"))).toEqual(expect.arrayContaining(result.files));
    // Not a terminal here: one bar line per change, the last one full.
    expect(stderr).toMatch(/uploading \d+\/\d+ bytes/);
    expect(stderr).toContain(`${"█".repeat(30)} 2/2 succeeded loss `);
  });

  it("runs examples/register-model.ts on a Hugging Face folder", async () => {
    const folder = join(work, "hf");
    await writeModelFolder(folder);
    await writeFile(join(folder, "README.md"), "# not a model file: left out\n");
    const { stdout, stderr } = await script(join(sdkDir, "examples", "register-model.ts"), [
      "my-llama",
      folder,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({
      id: "my-llama",
      object: "model",
      kind: "base",
      model_type: "llama",
    });
    expect(stderr).not.toContain("README.md");
    expect(stderr).toContain("uploaded config.json as file-");
  });

  it("runs examples/webhook-receiver.ts: verified events accepted, forged ones refused", async () => {
    const child: ChildProcess = spawn(
      tsx,
      ["--tsconfig", tsconfig, join(sdkDir, "examples", "webhook-receiver.ts")],
      {
        cwd: work,
        env: { ...env, PORT: "0" },
      },
    );
    try {
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const next = async () => String((await lines.next()).value);
      const url = (await next()).replace("listening on ", "");
      const jobId = (await svc.client().fineTuning.jobs.list()).data.find(
        (j) => j.status === "succeeded",
      )!.id;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const body = JSON.stringify({
        id: "evt_1",
        object: "event",
        created_at: Math.floor(Date.now() / 1000),
        type: "fine_tuning.job.succeeded",
        data: { id: jobId },
      });
      const at = new Date();
      const headers = {
        "content-type": "application/json",
        "webhook-id": "msg_1",
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(SECRET).sign("msg_1", at, body),
      };
      expect((await fetch(url, { method: "POST", headers, body })).status).toBe(200);
      expect(await next()).toBe(`fine_tuning.job.succeeded ${jobId}`);
      const job = await svc.client().fineTuning.jobs.retrieve(jobId);
      expect(await next()).toBe(`fine-tuned model ${job.fine_tuned_model}`);

      const forged = await fetch(url, { method: "POST", headers, body: body.replace(jobId, "ftjob-other") });
      expect(forged.status).toBe(400);
      expect(await next()).toBe("rejected: No matching webhook signature found.");
    } finally {
      child.kill("SIGTERM");
    }
  });
});
