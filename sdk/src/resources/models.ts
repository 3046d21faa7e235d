// /v1/models: built-in, registered and fine-tuned models; `register` adds a base model from uploaded Hugging Face
// files or an S3 prefix.
import type { PagePromise } from "../core/pagination.ts";
import type { RequestOptions } from "../core/types.ts";
import { APIResource, seg } from "../resource.ts";
import type { Model, ModelDeleted, ModelRegisterParams } from "../types.ts";

export class Models extends APIResource {
  /** Every model in one page. */
  list(options?: RequestOptions): PagePromise<Model> {
    return this.client.list("/models", undefined, options);
  }

  retrieve(model: string, options?: RequestOptions): Promise<Model> {
    return this.client.request({ method: "GET", path: `/models/${seg(model)}`, options });
  }

  /**
   * Validated before it is accepted (config.json, architecture, every weight's shape, tokenizer files): a bad
   * folder is an UnprocessableEntityError naming the file at fault.
   */
  register(params: ModelRegisterParams, options?: RequestOptions): Promise<Model> {
    return this.client.request({ method: "POST", path: "/models", body: params, idempotent: true, options });
  }

  delete(model: string, options?: RequestOptions): Promise<ModelDeleted> {
    return this.client.request({ method: "DELETE", path: `/models/${seg(model)}`, options });
  }
}
