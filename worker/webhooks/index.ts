// The webhook dispatcher's public API: start one in this process (infra/webhooks.ts, infra/start.ts, infra/worker.ts).
export {
  type DispatcherDeps,
  type DispatcherOptions,
  type RunningDispatcher,
  startDispatcher,
} from "./dispatcher.ts";
