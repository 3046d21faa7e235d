import { access } from "node:fs/promises";

/** Whether a file or folder exists (and is reachable): for optional files, where absence is not an error. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
