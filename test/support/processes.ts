// Service processes for suites that test the distributed form: each a real `node` process of the production
// build, its JSON log lines (pino) collected so a test can wait for one and read what it said.
import { type ChildProcess, spawn } from "node:child_process";
import { ROOT } from "./build.ts";

export type LogLine = Record<string, unknown> & { msg?: string };

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Every output line so far, raw. */
  output(): string;
  /** The JSON log lines so far. */
  logs(): LogLine[];
  /** Resolves with the first log line (or raw line, as `{ msg }`) matching `match`; rejects if the process exits first. */
  waitFor(match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(name: string, args: string[], env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let raw = "";
  let partial = "";
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    const text = d.toString();
    raw += text;
    partial += text;
    const complete = partial.split("\n");
    partial = complete.pop()!;
    for (const line of complete) {
      if (!line.trim()) continue;
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ msg: line });
      }
    }
    for (const w of waiters) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      for (const w of waiters) w();
      resolve(code);
    }),
  );
  return {
    name,
    child,
    output: () => raw,
    logs: () => lines,
    exited,
    waitFor(match, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: no matching log line within ${timeoutMs} ms:\n${raw.slice(-4000)}`));
        }, timeoutMs);
        const check = () => {
          const found = lines.find(match);
          if (found || exitCode !== undefined) {
            clearTimeout(timer);
            waiters.delete(check);
            if (found) resolve(found);
            else reject(new Error(`${name} exited (${exitCode}) first:\n${raw.slice(-4000)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a one-shot command of the build (migrate, the CLI) to its end; throws on a non-zero exit. */
export async function runOnce(name: string, args: string[], env: Record<string, string>): Promise<string> {
  const p = startProcess(name, args, env);
  const code = await p.exited;
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${p.output()}`);
  return p.output();
}
