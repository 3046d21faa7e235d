// The one mapper from a bad request field to the 400 a client gets, in one wording (OpenAI's):
//   an unknown field  "Unrecognized request argument supplied: lora.rank"          code unknown_parameter
//   a bad value       "Invalid value for 'method.supervised.hyperparameters.n_epochs': Too big: …"   invalid_value
// `param` is the field's path as the client wrote it (snake_case, dotted), or the query/path parameter's name.
import type { ZodError } from "zod";
import type { ErrorCode } from "./error-codes.ts";
import { ApiError } from "./errors.ts";

type Issue = ZodError["issues"][number];

/**
 * A bad value of the field at `param` (null: the whole body); `problem` says what is wrong with it, `code` says
 * so for programs when a more specific one exists (invalid_file), `where` where the value came from.
 */
export function invalidValue(
  param: string | null,
  problem: string,
  opts: { code?: ErrorCode; where?: string } = {},
): ApiError {
  return new ApiError(400, `Invalid value for '${param ?? "body"}'${opts.where ?? ""}: ${problem}`, {
    param,
    code: opts.code ?? "invalid_value",
  });
}

/** What is wrong, for a union ("auto" or a number) naming each alternative's problem. */
function problemOf(issue: Issue): string {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue.message;
  return issue.errors.map((branch) => branch[0]?.message ?? "invalid").join(", or ");
}

/** The 400 for the first issue of a failed validation; `target` is where the value came from (query, param). */
export function invalidField(err: ZodError, target?: string): ApiError {
  const issue = err.issues[0]!;
  const path = issue.path.map(String);
  const where = target && target !== "json" && target !== "form" ? ` (in ${target})` : "";
  if (issue.code === "unrecognized_keys") {
    const key = [...path, String(issue.keys[0])].join(".");
    return new ApiError(400, `Unrecognized request argument supplied: ${key}${where}`, {
      param: key,
      code: "unknown_parameter",
    });
  }
  return invalidValue(path.join(".") || null, problemOf(issue), { where });
}
