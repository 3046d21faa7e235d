// The container images, checked without building them (no container runtime here): each Dockerfile passes
// dockerfile-utils' linter (the Docker language server's checks), every path it copies from the build context
// exists and is not excluded by .dockerignore, the build stage copies everything `npm run build` compiles, every
// npm install has the package files before it and leaves the lock's workspace (sdk/) out with
// --workspaces=false, the final stage runs as a non-root user with a HEALTHCHECK and a command the
// build produces. Not checked: that the base images exist, that `npm ci` and the tfjs-node-gpu install succeed
// in them, that the CUDA stack loads.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../support/build.ts";

interface Stage {
  image: string;
  name: string | undefined;
  instructions: { keyword: string; args: string[]; flags: Record<string, string> }[];
}

function parse(file: string): { stages: Stage[]; args: Record<string, string> } {
  return parseText(readFileSync(join(ROOT, file), "utf8"));
}

function parseText(text: string): { stages: Stage[]; args: Record<string, string> } {
  const dockerfile = DockerfileParser.parse(text);
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const expand = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? "");
  for (const ins of dockerfile.getInstructions()) {
    const keyword = ins.getKeyword();
    const words = ins.getArguments().map((a) => a.getValue());
    if (keyword === "ARG" && stages.length === 0) {
      const [name, value] = words[0]!.split("=");
      args[name!] = value ?? "";
    } else if (keyword === "FROM") {
      stages.push({ image: expand(words[0]!), name: words[2], instructions: [] });
    } else {
      const flags: Record<string, string> = {};
      const withFlags = ins as unknown as {
        getFlags?: () => { getName(): string; getValue(): string | null }[];
      };
      for (const f of withFlags.getFlags?.() ?? []) flags[f.getName()] = f.getValue() ?? "";
      stages.at(-1)!.instructions.push({ keyword, args: words, flags });
    }
  }
  return { stages, args };
}

const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const isIgnored = (path: string) =>
  ignored.some(
    (p) => path === p || path.startsWith(`${p}/`) || (p.startsWith("*") && path.endsWith(p.slice(1))),
  );

const buildIncludes: string[] = JSON.parse(
  readFileSync(join(ROOT, "tsconfig.build.json"), "utf8").replace(/^\s*\/\/.*$/gm, ""),
).include;

const rootPackage = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  workspaces?: string[];
  scripts?: Record<string, string>;
};
const workspaces: string[] = rootPackage.workspaces ?? [];
/** Files the project's own install scripts run (`npm ci` runs them unless --ignore-scripts). */
const installScriptFiles = ["preinstall", "install", "postinstall", "prepare"].flatMap(
  (name) => rootPackage.scripts?.[name]?.match(/[\w./-]+\.(?:m?js|ts)\b/g) ?? [],
);

/**
 * What is wrong with a stage's npm installs: each needs package.json and package-lock.json copied before it (and,
 * unless it passes --ignore-scripts, the files the project's own install scripts run), and passes
 * --workspaces=false. The lock lists the workspaces (sdk/), which no image carries: with sdk/ copied,
 * its `prepare` script builds the SDK with tsc, which --omit=dev does not install, and sdk/package.json alone
 * has no sources to build; with neither, npm skips the missing folder silently, no promise to build on.
 */
function npmInstallProblems(stage: Stage): string[] {
  const problems: string[] = [];
  const copied: string[] = [];
  for (const ins of stage.instructions) {
    if (ins.keyword === "COPY" && !ins.flags.from) copied.push(...ins.args.slice(0, -1));
    if (ins.keyword !== "RUN") continue;
    for (const command of ins.args.join(" ").split(/&&|;/)) {
      const words = command.trim().split(/\s+/);
      if (words[0] !== "npm" || !["ci", "install", "i"].includes(words[1]!)) continue;
      for (const file of ["package.json", "package-lock.json"])
        if (!copied.includes(file) && !copied.includes("."))
          problems.push(`${command.trim()}: ${file} not copied before it`);
      const inside = (file: string) =>
        copied.some((c) => c === "." || file === c || file.startsWith(`${c.replace(/\/$/, "")}/`));
      if (words[1] === "ci" && !words.includes("--ignore-scripts"))
        for (const file of installScriptFiles)
          if (!inside(file))
            problems.push(`${command.trim()}: runs the install script ${file}, not copied before it`);
      if (workspaces.length > 0 && !words.includes("--workspaces=false"))
        problems.push(
          `${command.trim()}: installs the lock's workspaces (${workspaces.join(", ")}) without --workspaces=false`,
        );
    }
  }
  return problems;
}

const IMAGES = [
  {
    file: "infra/docker/app.Dockerfile",
    base: /^node:20(\.\d+)*-\w+-slim$/,
    commands: ["dist/infra/api.js"],
  },
  {
    file: "infra/docker/gpu-worker.Dockerfile",
    base: /^nvidia\/cuda:11\.2\.\d+-cudnn8-runtime-/,
    commands: ["dist/infra/worker.js"],
  },
];

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe.each(IMAGES)("$file", ({ file, base, commands }) => {
  const { stages } = parse(file);
  const final = stages.at(-1)!;
  const lines = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword);

  it("passes the Dockerfile linter with no error or warning", () => {
    const diagnostics = validate(readFileSync(join(ROOT, file), "utf8"));
    expect(diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it("copies only paths that exist in the build context and that .dockerignore keeps", () => {
    const names = new Set(stages.map((s) => s.name));
    let copied = 0;
    for (const stage of stages) {
      for (const ins of stage.instructions.filter((i) => i.keyword === "COPY")) {
        const sources = ins.args.slice(0, -1);
        if (ins.flags.from) {
          expect(names.has(ins.flags.from), `COPY --from=${ins.flags.from}`).toBe(true);
          continue;
        }
        for (const source of sources) {
          copied++;
          expect(existsSync(join(ROOT, source)), source).toBe(true);
          expect(isIgnored(source), `${source} is excluded by .dockerignore`).toBe(false);
        }
      }
    }
    expect(copied).toBeGreaterThan(0);
  });

  it("compiles in its build stage everything `npm run build` compiles", () => {
    const build = stages.find((s) =>
      s.instructions.some((i) => i.keyword === "RUN" && i.args.join(" ").includes("npm run build")),
    );
    expect(build).toBeDefined();
    const copied = build!.instructions
      .filter((i) => i.keyword === "COPY")
      .flatMap((i) => i.args.slice(0, -1));
    for (const needed of [
      ...buildIncludes,
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsconfig.build.json",
    ])
      expect(copied, needed).toContain(needed);
  });

  it("has every npm install see the package files and leave the sdk/ workspace out", () => {
    expect(workspaces).toContain("sdk");
    const installs = stages.flatMap((s) =>
      s.instructions.filter((i) => i.keyword === "RUN" && /\bnpm (ci|install)\b/.test(i.args.join(" "))),
    );
    expect(installs.length).toBeGreaterThanOrEqual(2);
    expect(stages.flatMap(npmInstallProblems)).toEqual([]);
  });

  it("installs production dependencies only into the final image, from a multi-stage build", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const installs = stages.flatMap((s) =>
      s.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args.join(" ")),
    );
    expect(installs.some((r) => r.includes("npm ci --omit=dev"))).toBe(true);
    expect(final.instructions.some((i) => i.keyword === "RUN" && i.args.join(" ").includes("npm ci"))).toBe(
      false,
    );
  });

  it("runs as a non-root user with a HEALTHCHECK on /health and a command the build produces", () => {
    expect(final.image).toMatch(base);
    const user = lines("USER").at(-1)?.args[0];
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
    const healthcheck = lines("HEALTHCHECK").at(-1)!.args.join(" ");
    expect(healthcheck).toContain("dist/infra/healthcheck.js");
    expect(existsSync(join(ROOT, "dist/infra/healthcheck.js"))).toBe(true);
    const cmd = JSON.parse(lines("CMD").at(-1)!.args.join(" ")) as string[];
    expect(cmd.slice(0, 2)).toEqual(["node", commands[0]]);
    for (const c of commands) expect(existsSync(join(ROOT, c)), c).toBe(true);
  });
});

describe("the GPU worker image", () => {
  const { stages, args } = parse("infra/docker/gpu-worker.Dockerfile");
  it("installs @tensorflow/tfjs-node-gpu 4.22 and selects the tensorflow backend", () => {
    expect(args.TFJS_NODE_GPU_VERSION).toMatch(/^4\.22\.\d+$/);
    const runs = stages.flatMap((s) =>
      s.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args.join(" ")),
    );
    expect(runs.some((r) => r.includes('"@tensorflow/tfjs-node-gpu@${TFJS_NODE_GPU_VERSION}"'))).toBe(true);
    const env = stages
      .at(-1)!
      .instructions.filter((i) => i.keyword === "ENV")
      .flatMap((i) => i.args);
    expect(env).toContain("GRADES_BACKEND=tensorflow");
  });
});

describe("the Dockerfile checks themselves", () => {
  it("report a Dockerfile with mistakes (the linter is not silent on everything)", () => {
    const broken = "FROM node:20-bookworm-slim\nworkdir app\nEXPOSE 80/tcpx\nHEALTHCHECK CMD\nCMD ['node']\n";
    expect(validate(broken).length).toBeGreaterThanOrEqual(3);
  });

  it("report an npm install that would meet the sdk/ workspace, or miss the lock", () => {
    const halfCopied = parseText(
      "FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nCOPY sdk/package.json ./sdk/\nRUN npm ci --omit=dev --ignore-scripts\n",
    );
    expect(halfCopied.stages.flatMap(npmInstallProblems)).toEqual([
      "npm ci --omit=dev --ignore-scripts: installs the lock's workspaces (sdk) without --workspaces=false",
    ]);
    const noLock = parseText(
      "FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY package.json ./\nRUN npm ci --omit=dev --ignore-scripts --workspaces=false && npm cache clean --force\n",
    );
    expect(noLock.stages.flatMap(npmInstallProblems)).toEqual([
      "npm ci --omit=dev --ignore-scripts --workspaces=false: package-lock.json not copied before it",
    ]);
  });

  it("report an npm ci that runs the project's install scripts before their files are copied", () => {
    expect(installScriptFiles).toContain("infra/build/native-blas.mjs");
    const early = parseText(
      "FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --workspaces=false\n",
    );
    expect(early.stages.flatMap(npmInstallProblems)).toEqual([
      "npm ci --workspaces=false: runs the install script infra/build/native-blas.mjs, not copied before it",
    ]);
    const copied = parseText(
      "FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nCOPY infra ./infra\nRUN npm ci --workspaces=false\n",
    );
    expect(copied.stages.flatMap(npmInstallProblems)).toEqual([]);
  });
});
