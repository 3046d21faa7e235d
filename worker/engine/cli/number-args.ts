// Parsers of numeric command-line arguments: a bad value is named with its flag, as commander reports it.
import { InvalidArgumentError } from "commander";

export function num(flag: string, check: (v: number) => boolean, what: string) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(v) || !check(v)) {
      throw new InvalidArgumentError(`${flag} must be ${what}, got ${JSON.stringify(raw)}`);
    }
    return v;
  };
}

export const positiveInt = (flag: string) =>
  num(flag, (v) => Number.isInteger(v) && v > 0, "a positive integer");
export const nonNegative = (flag: string) => num(flag, (v) => v >= 0, "a number >= 0");
export const positive = (flag: string) => num(flag, (v) => v > 0, "a positive number");
export const fraction = (flag: string) => num(flag, (v) => v >= 0 && v <= 1, "a number in [0, 1]");
