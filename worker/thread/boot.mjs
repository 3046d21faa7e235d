// Entry of the training thread. The engine is TypeScript: tsx compiles it on load, as for the CLI.
import { register } from "tsx/esm/api";

register();
await import("./train-thread.ts");
