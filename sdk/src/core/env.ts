// Reads configuration from the environment where there is one: Node, Bun and Deno have `process.env` (Deno also
// `Deno.env`); browsers and edge runtimes have neither, and there the client simply uses what it was given.
interface RuntimeGlobals {
  process?: { env?: Record<string, string | undefined> };
  Deno?: { env?: { get?(name: string): string | undefined } };
}

export function readEnv(name: string): string | undefined {
  const g = globalThis as RuntimeGlobals;
  try {
    const value = g.process?.env?.[name] ?? g.Deno?.env?.get?.(name);
    return value?.trim() || undefined;
  } catch {
    // Deno without --allow-env throws instead of answering.
    return undefined;
  }
}
