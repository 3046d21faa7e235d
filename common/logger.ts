// Structured JSON logs (pino). One root logger per process; requests get a child logger carrying their id.
import { pino } from "pino";
import type { Config } from "./config.ts";

export type Logger = pino.Logger;

export function createLogger(config: Pick<Config, "logLevel">, name = "grades"): Logger {
  return pino({ name, level: config.logLevel, base: { pid: process.pid } });
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
