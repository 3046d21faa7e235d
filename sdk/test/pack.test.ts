// `npm pack` makes a package that installs offline in a fresh folder (no dependencies to fetch), imports as ESM,
// type-checks with its declarations alone (no Node types), and talks to the live service.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "./support/service.ts";

const run = promisify(execFile);
const sdkDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const rootBin = join(sdkDir, "..", "node_modules", ".bin");

let svc: TestService;
let work: string;
let app: string;
let tarball: string;
let packed: { files: { path: string }[] };

beforeAll(async () => {
  svc = await startTestService();
  work = await mkdtemp(join(tmpdir(), "grades-sdk-pack-"));
  // Packed from a copy of the sources, so the build that `npm pack` runs (`prepare`) leaves this checkout's
  // dist/ alone while other suites use it.
  const copy = join(work, "sdk");
  for (const name of ["package.json", "README.md", "tsconfig.build.json", "src"]) {
    await cp(join(sdkDir, name), join(copy, name), { recursive: true });
  }
  const env = { ...process.env, PATH: `${rootBin}${delimiter}${process.env.PATH}` };
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: copy, env });
  const [info] = JSON.parse(stdout) as [typeof packed & { filename: string }];
  packed = info;
  tarball = join(work, info.filename);
  app = join(work, "app");
  await mkdir(app);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  await run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], { cwd: app });
  // A build, a pack and an install: a minute on a busy 2-core machine, more than the default hook timeout.
}, 300_000);
afterAll(async () => {
  await svc?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the packed SDK", () => {
  it("holds the built JavaScript, declarations and README, and nothing else", async () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain("dist/index.js");
    expect(paths).toContain("dist/index.d.ts");
    expect(paths).toContain("README.md");
    expect(paths.filter((p) => !p.startsWith("dist/") && p !== "README.md" && p !== "package.json")).toEqual(
      [],
    );
    const manifest = JSON.parse(
      await readFile(join(app, "node_modules/@grades-finetune/sdk/package.json"), "utf8"),
    );
    expect(manifest.dependencies ?? {}).toEqual({});
    // No Node module is imported at load time (only on demand, for paths and folders).
    for (const p of paths.filter((p) => p.endsWith(".js"))) {
      const js = await readFile(join(app, "node_modules/@grades-finetune/sdk", p), "utf8");
      expect(js).not.toMatch(/^import .* from ["']node:/m);
    }
  });

  it("imports in a fresh folder and lists the live service's files", async () => {
    const script = `
      import Grades, { NotFoundError, readTarGz } from "@grades-finetune/sdk";
      const client = new Grades();
      const file = await client.files.create({ file: new Blob(["hello"]), filename: "h.txt", purpose: "batch" });
      const page = await client.files.list();
      const missing = await client.files.retrieve("file-none").catch((e) => e);
      console.log(JSON.stringify({
        listed: page.data.map((f) => f.id).includes(file.id),
        notFound: missing instanceof NotFoundError,
        tar: typeof readTarGz,
      }));
    `;
    await writeFile(join(app, "main.mjs"), script);
    const { stdout } = await run("node", ["main.mjs"], {
      cwd: app,
      env: { ...process.env, GRADES_API_KEY: svc.apiKey, GRADES_BASE_URL: svc.baseURL },
    });
    expect(JSON.parse(stdout)).toEqual({ listed: true, notFound: true, tar: "function" });
  });

  it("type-checks a consumer with its declarations alone", async () => {
    await writeFile(
      join(app, "main.ts"),
      `import Grades, { type FineTuningJob, type JobCreateParams } from "@grades-finetune/sdk";
const client = new Grades({ apiKey: "k" });
const params: JobCreateParams = { model: "demo-tiny", training_file: "file-x", lora: { r: 4 } };
const job: Promise<FineTuningJob> = client.fineTuning.jobs.create(params);
// @ts-expect-error: an unknown option is a type error
client.fineTuning.jobs.create({ model: "m", training_file: "f", lora: { rank: 4 } });
void job;
`,
    );
    await writeFile(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          lib: ["ES2022", "DOM", "DOM.AsyncIterable"],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ["main.ts"],
      }),
    );
    await expect(run(join(rootBin, "tsc"), ["-p", "."], { cwd: app })).resolves.toBeDefined();
  });
});
