// Entry of a data-parallel replica thread run from the sources: tsx compiles the engine on load.
import { register } from "tsx/esm/api";

register();
await import("./replica-thread.ts");
