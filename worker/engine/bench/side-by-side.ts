// Tokens/second of the bench model on one thread, on every core, and in PyTorch on CPU, measured side by side:
// every configuration lives in a process of its own (step-server.ts, torch_reference.py) and all of them are
// stepped in turn, round by round, so the load of a shared machine falls on all alike. Only one process
// computes at any time; the others wait on stdin.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { WasmMatMul } from "../backend.ts";
import { pinOpenBlasCore } from "../kernels/openblas-core.ts";
import { median, TORCH_SHAPE_ARGS } from "./bench-model.ts";

const STEP_SERVER = fileURLToPath(new URL("./step-server.ts", import.meta.url));
const TORCH_SCRIPT = fileURLToPath(new URL("./torch_reference.py", import.meta.url));
/** Debian's python3-torch lives in the system interpreter, whatever python3 comes first on PATH. */
const PYTHONS = ["/usr/bin/python3", "python3"];

export interface Configuration {
  name: string;
  kind: "engine" | "torch";
  type: "lora" | "full";
  threads: number;
  /** The engine on several threads: data-parallel replicas (as train() runs it) or the threaded wasm build. */
  parallel?: "replicas" | "threaded";
  /** The engine's matmuls (default: the backend's own choice, OpenBLAS where its binding is built). */
  matMul?: WasmMatMul;
}

interface Child {
  config: Configuration;
  proc: ChildProcessWithoutNullStreams;
  lines: AsyncIterator<string>;
  reader: Interface;
  ready: Record<string, unknown>;
  seconds: number[];
  tokens: number;
  peak: { wasmHeapBytes?: number; rssBytes?: number; maxRssBytes?: number };
}

export interface Measured {
  config: Configuration;
  ready: Record<string, unknown>;
  tokensPerSecond: number;
  /** Tokens/second of each round (median of its steps), to show the spread. */
  perRound: number[];
  peak: Child["peak"];
}

/** The python that imports torch, or undefined (the comparison is then skipped, and says so). */
export function torchPython(): string | undefined {
  for (const py of PYTHONS) {
    const r = spawnSync(py, ["-c", "import torch"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  return undefined;
}

async function start(config: Configuration, python: string | undefined): Promise<Child> {
  const proc =
    config.kind === "engine"
      ? spawn(process.execPath, [
          "--import",
          "tsx",
          STEP_SERVER,
          `--threads=${config.threads}`,
          `--type=${config.type}`,
          `--parallel=${config.parallel ?? "replicas"}`,
          ...(config.matMul ? [`--matmul=${config.matMul}`] : []),
        ])
      : spawn(python!, [
          TORCH_SCRIPT,
          `--type=${config.type}`,
          `--threads=${config.threads}`,
          ...TORCH_SHAPE_ARGS,
        ]);
  proc.stderr.on("data", (d: Buffer) => process.stderr.write(`[${config.name}] ${d}`));
  const reader = createInterface({ input: proc.stdout });
  const lines = reader[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`${config.name}: exited before it was ready`);
  return { config, proc, lines, reader, ready: JSON.parse(first.value), seconds: [], tokens: 0, peak: {} };
}

async function steps(child: Child, k: number): Promise<{ seconds: number[]; tokens: number }> {
  child.proc.stdin.write(`${JSON.stringify({ steps: k })}\n`);
  const next = await child.lines.next();
  if (next.done) throw new Error(`${child.config.name}: exited while stepping`);
  const r = JSON.parse(next.value) as {
    seconds: number[];
    tokens: number;
    wasmHeapBytes?: number;
    rssBytes?: number;
    maxRssBytes?: number;
  };
  for (const key of ["wasmHeapBytes", "rssBytes", "maxRssBytes"] as const) {
    const v = r[key];
    if (v !== undefined) child.peak[key] = Math.max(child.peak[key] ?? 0, v);
  }
  return r;
}

/**
 * Runs `rounds` rounds of `stepsPerRound` steps of every configuration (after `warmupSteps` steps of each),
 * alternating the order each round, and returns each configuration's median tokens/second.
 */
export async function sideBySide(
  configs: Configuration[],
  opts: { rounds: number; stepsPerRound: number; warmupSteps: number; python: string | undefined },
): Promise<Measured[]> {
  // Every child inherits it, so PyTorch's OpenBLAS runs the kernels the engine's does (kernels/openblas-core.ts).
  pinOpenBlasCore(process.env);
  const children: Child[] = [];
  try {
    for (const c of configs) children.push(await start(c, opts.python));
    for (const child of children) await steps(child, opts.warmupSteps);
    const perRound = new Map<Child, number[]>(children.map((c) => [c, []]));
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? children : [...children].reverse();
      for (const child of order) {
        const r = await steps(child, opts.stepsPerRound);
        child.seconds.push(...r.seconds);
        child.tokens = r.tokens;
        perRound.get(child)!.push(r.tokens / median(r.seconds));
      }
    }
    return children.map((c) => ({
      config: c.config,
      ready: c.ready,
      tokensPerSecond: c.tokens / median(c.seconds),
      perRound: perRound.get(c)!,
      peak: c.peak,
    }));
  } finally {
    for (const c of children) {
      c.reader.close();
      c.proc.stdin.end();
    }
  }
}
