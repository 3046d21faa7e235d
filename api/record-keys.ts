// A JSON object whose keys a client fills freely (job metadata, a model's file names). Parsed into a JavaScript
// object, the key `__proto__` would set the prototype instead of a property, and zod's record skips it: the key
// would vanish without a word, so it is refused, naming it.
import { z } from "@hono/zod-openapi";

export function clientRecord<K extends z.ZodString, V extends z.ZodType>(key: K, value: V) {
  return z.preprocess(
    (input, ctx) => {
      if (input !== null && typeof input === "object" && Object.hasOwn(input, "__proto__")) {
        ctx.addIssue({ code: "custom", message: "'__proto__' cannot be a key", path: ["__proto__"], input });
      }
      return input;
    },
    z.record(key, value),
  );
}
