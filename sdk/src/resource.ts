import type { Grades } from "./client.ts";

/** A group of methods shaped like a URL prefix (`client.fineTuning.jobs` → /v1/fine_tuning/jobs). */
export abstract class APIResource {
  protected readonly client: Grades;
  constructor(client: Grades) {
    this.client = client;
  }
}

/** A path segment from a caller-given id: encoded, so an id can never reach another route. */
export function seg(id: string): string {
  return encodeURIComponent(id);
}
