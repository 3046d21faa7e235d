// Shared by the benchmarks on real Postgres: a fresh database of their own, dropped afterwards, and percentiles.
import postgres from "postgres";
import { randomToken } from "../ids.ts";

export async function withFreshDatabase<T>(server: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `grades_bench_${randomToken(8).toLowerCase()}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  }
}

/** The p-th percentile of ascending `sorted` (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
