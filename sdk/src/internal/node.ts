// Node's file system, loaded on first use: the SDK imports no Node module at load time, so it runs and bundles
// where there is none (browsers, edge runtimes). Node, Bun and Deno all provide these modules.
interface NodeFs {
  openAsBlob?(path: string, options?: { type?: string }): Promise<Blob>;
}
interface NodeFsPromises {
  readFile(path: string): Promise<Uint8Array>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  open(
    path: string,
    flags: string,
  ): Promise<{
    write(data: Uint8Array): Promise<unknown>;
    close(): Promise<void>;
  }>;
}
interface NodePath {
  basename(path: string): string;
  dirname(path: string): string;
  resolve(...paths: string[]): string;
  join(...paths: string[]): string;
  sep: string;
}

// A variable specifier, so bundlers for the browser leave these imports alone.
const load = <T>(name: string): Promise<T> => import(/* @vite-ignore */ /* webpackIgnore: true */ name);

function noFileSystem(err: unknown): Error {
  return new Error("Reading and writing files by path needs a runtime with node:fs (Node, Bun or Deno).", {
    cause: err,
  });
}

export async function nodeModules(): Promise<{ fs: NodeFs; fsp: NodeFsPromises; path: NodePath }> {
  try {
    const [fs, fsp, path] = await Promise.all([
      load<NodeFs>("node:fs"),
      load<NodeFsPromises>("node:fs/promises"),
      load<NodePath>("node:path"),
    ]);
    return { fs, fsp, path };
  } catch (err) {
    throw noFileSystem(err);
  }
}

/** A Blob backed by the file (read lazily, in slices) where the runtime can, else the file's bytes. */
export async function blobFromPath(path: string, type: string): Promise<{ blob: Blob; filename: string }> {
  const { fs, fsp, path: p } = await nodeModules();
  const blob = fs.openAsBlob
    ? await fs.openAsBlob(path, { type })
    : new Blob([(await fsp.readFile(path)) as BlobPart], { type });
  return { blob, filename: p.basename(path) };
}

/**
 * Writes tar entries under `dir`, dropping the first `strip` path components. An entry that would land outside
 * `dir` (an absolute path or `..`) stops the unpacking with an error.
 */
export async function writeEntries(
  entries: AsyncIterable<{
    name: string;
    type: "file" | "directory";
    chunks: AsyncIterable<Uint8Array>;
  }>,
  dir: string,
  strip: number,
): Promise<string[]> {
  const { fsp, path } = await nodeModules();
  const root = path.resolve(dir);
  await fsp.mkdir(root, { recursive: true });
  const written: string[] = [];
  for await (const entry of entries) {
    const parts = entry.name.split("/").filter((p) => p !== "" && p !== ".");
    if (entry.name.startsWith("/") || parts.some((p) => p === ".." || p.includes("\\") || p.includes(":"))) {
      throw new Error(`Refusing to unpack '${entry.name}': it points outside the target folder.`);
    }
    const rel = parts.slice(strip);
    if (rel.length === 0) continue;
    const target = path.join(root, ...rel);
    if (entry.type === "directory") {
      await fsp.mkdir(target, { recursive: true });
      continue;
    }
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const handle = await fsp.open(target, "w");
    try {
      for await (const chunk of entry.chunks) await handle.write(chunk);
    } finally {
      await handle.close();
    }
    written.push(rel.join("/"));
  }
  return written.sort();
}
