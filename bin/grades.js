#!/usr/bin/env node
// The CLI is written in TypeScript; tsx compiles it on load so `npx grades` works right after `npm install`.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
