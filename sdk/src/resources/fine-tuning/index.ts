import { APIResource } from "../../resource.ts";
import { Jobs } from "./jobs.ts";

/** /v1/fine_tuning */
export class FineTuning extends APIResource {
  readonly jobs = new Jobs(this.client);
}
