// What a worker's parts share: its dependencies and identity.

import type { Logger } from "../common/logger.ts";
import type { Database } from "../db/client.ts";
import type { QueueOptions } from "../db/queue/queue.ts";
import type { ObjectStorage } from "../db/storage/types.ts";
import type { InputCache } from "./cache.ts";
import type { BackendName, TrainHooks, TrainSpec, TrainSummary } from "./engine/index.ts";

export type TrainFn = (spec: TrainSpec, hooks: TrainHooks) => Promise<TrainSummary>;

export interface WorkerContext {
  db: Database;
  storage: ObjectStorage;
  log: Logger;
  workerId: string;
  queue: QueueOptions;
  cache: InputCache;
  /** Per-job scratch folders (outputs, checkpoints before upload, a checkpoint to resume from). */
  workDir: string;
  backend: BackendName;
  /** Compute threads per job (data-parallel replicas, see engine/parallel/threads.ts); undefined: every core. */
  threads: number | undefined;
  train: TrainFn;
}
