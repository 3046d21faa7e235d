// Generated from the service's /openapi.json by sdk/scripts/generate-types.ts (openapi-typescript).
// Do not edit: run `npm run generate --workspace sdk`.
export interface paths {
  "/health": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Whether the database and object storage are reachable (no API key needed) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Both reachable */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Health"];
          };
        };
        /** @description Degraded: one of them is not */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Health"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/files": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List files */
    get: {
      parameters: {
        query?: {
          /** @description Cursor: the id of the last object of the previous page */
          after?: string;
          limit?: number;
          order?: "asc" | "desc";
          purpose?:
            | "fine-tune"
            | "assistants"
            | "batch"
            | "vision"
            | "user_data"
            | "evals"
            | "fine-tune-results";
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page of files */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FileList"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    /**
     * Upload a file
     * @description Multipart upload, streamed to storage. Files with purpose `fine-tune` are checked line by line; a rejected file is not kept.
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Makes a retried create safe: a request repeating a key (with the same method, path and body) within the retention time answers the first response, header `Idempotent-Replayed: true`, and creates nothing. The same key with another request is a 422 `idempotency_key_reused`; while the first is still running, a 409 `idempotency_key_in_use` (retry it). A failed request records nothing. Keys are per tenant. */
          "Idempotency-Key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "multipart/form-data": {
            /** @constant */
            "expires_after[anchor]"?: "created_at";
            "expires_after[seconds]"?: number;
            /** Format: binary */
            file: string;
            /** @enum {string} */
            purpose: "fine-tune" | "assistants" | "batch" | "vision" | "user_data" | "evals";
          };
        };
      };
      responses: {
        /** @description The stored file */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["File"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Larger than the configured limit */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Wrong Content-Type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Well-formed but unusable (e.g. a model folder that fails validation, an Idempotency-Key reused for another request) */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/files/{file_id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Retrieve a file */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          file_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The file */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["File"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** Delete a file and its contents */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          file_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Deleted */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FileDeleted"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/files/{file_id}/content": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Download a file's contents */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          file_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The bytes */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/octet-stream": string;
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/fine_tuning/jobs": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List fine-tuning jobs (newest first); filter with metadata[key]=value */
    get: {
      parameters: {
        query?: {
          /** @description Cursor: the id of the last object of the previous page */
          after?: string;
          limit?: number;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page of jobs */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FineTuningJobList"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    /** Create a fine-tuning job */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Makes a retried create safe: a request repeating a key (with the same method, path and body) within the retention time answers the first response, header `Idempotent-Replayed: true`, and creates nothing. The same key with another request is a 422 `idempotency_key_reused`; while the first is still running, a 409 `idempotency_key_in_use` (retry it). A failed request records nothing. Keys are per tenant. */
          "Idempotency-Key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["CreateFineTuningJobRequest"];
        };
      };
      responses: {
        /** @description The created job */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FineTuningJob"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Larger than the configured limit */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Well-formed but unusable (e.g. a model folder that fails validation, an Idempotency-Key reused for another request) */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/fine_tuning/jobs/{fine_tuning_job_id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Retrieve a fine-tuning job */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          fine_tuning_job_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The job */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FineTuningJob"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/fine_tuning/jobs/{fine_tuning_job_id}/adapter": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Download the trained adapter (or model) folder as one .tar.gz */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          fine_tuning_job_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A gzipped tar archive */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/gzip": string;
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Cancel a job; a running job stops within seconds */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          fine_tuning_job_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The job */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FineTuningJob"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List a job's checkpoints (latest step first) */
    get: {
      parameters: {
        query?: {
          /** @description Cursor: the id of the last object of the previous page */
          after?: string;
          limit?: number;
        };
        header?: never;
        path: {
          fine_tuning_job_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page of checkpoints */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FineTuningJobCheckpointList"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/fine_tuning/jobs/{fine_tuning_job_id}/events": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List a job's events (newest first), including `metrics` events */
    get: {
      parameters: {
        query?: {
          /** @description Cursor: the id of the last object of the previous page */
          after?: string;
          limit?: number;
        };
        header?: never;
        path: {
          fine_tuning_job_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page of events */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FineTuningJobEventList"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/fine_tuning/jobs/{fine_tuning_job_id}/grades": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** GradES freeze map (layer × matrix: frozen step, latest G) and metric history */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          fine_tuning_job_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The freeze map */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FineTuningJobGrades"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/fine_tuning/jobs/{fine_tuning_job_id}/grades/plot": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The freeze map as an SVG picture: freeze timeline, frozen fraction and G per matrix over the steps */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          fine_tuning_job_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description An SVG document */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "image/svg+xml": string;
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/fine_tuning/jobs/{fine_tuning_job_id}/pause": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Pause a job; a running job checkpoints first (pause_requested until then) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          fine_tuning_job_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The job */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FineTuningJob"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/fine_tuning/jobs/{fine_tuning_job_id}/resume": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Resume a paused job from its latest checkpoint */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          fine_tuning_job_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The job */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["FineTuningJob"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/models": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List models */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Every model the tenant can use */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["ModelList"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    /**
     * Register a base model (extension)
     * @description From uploaded Hugging Face files or an S3 prefix. The folder is validated (config.json, supported architecture, every weight with its shape, tokenizer files) before the model is accepted.
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Makes a retried create safe: a request repeating a key (with the same method, path and body) within the retention time answers the first response, header `Idempotent-Replayed: true`, and creates nothing. The same key with another request is a 422 `idempotency_key_reused`; while the first is still running, a 409 `idempotency_key_in_use` (retry it). A failed request records nothing. Keys are per tenant. */
          "Idempotency-Key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["RegisterModel"];
        };
      };
      responses: {
        /** @description The registered model */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Model"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Well-formed but unusable (e.g. a model folder that fails validation, an Idempotency-Key reused for another request) */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/models/{model}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Retrieve a model */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          model: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The model */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Model"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** Delete one of the tenant's models */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          model: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Deleted */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["ModelDeleted"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/uploads": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Create an upload */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Makes a retried create safe: a request repeating a key (with the same method, path and body) within the retention time answers the first response, header `Idempotent-Replayed: true`, and creates nothing. The same key with another request is a 422 `idempotency_key_reused`; while the first is still running, a 409 `idempotency_key_in_use` (retry it). A failed request records nothing. Keys are per tenant. */
          "Idempotency-Key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["CreateUpload"];
        };
      };
      responses: {
        /** @description The pending upload */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Upload"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Larger than the configured limit */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Well-formed but unusable (e.g. a model folder that fails validation, an Idempotency-Key reused for another request) */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/uploads/{upload_id}/cancel": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Cancel an upload */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          upload_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The cancelled upload */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Upload"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/uploads/{upload_id}/complete": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Complete an upload: its parts, in the given order, become one file */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Makes a retried create safe: a request repeating a key (with the same method, path and body) within the retention time answers the first response, header `Idempotent-Replayed: true`, and creates nothing. The same key with another request is a 422 `idempotency_key_reused`; while the first is still running, a 409 `idempotency_key_in_use` (retry it). A failed request records nothing. Keys are per tenant. */
          "Idempotency-Key"?: string;
        };
        path: {
          upload_id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["CompleteUpload"];
        };
      };
      responses: {
        /** @description The completed upload with its file */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Upload"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Well-formed but unusable (e.g. a model folder that fails validation, an Idempotency-Key reused for another request) */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/uploads/{upload_id}/parts": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Add a part (at most 64 MB) to an upload */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Makes a retried create safe: a request repeating a key (with the same method, path and body) within the retention time answers the first response, header `Idempotent-Replayed: true`, and creates nothing. The same key with another request is a 422 `idempotency_key_reused`; while the first is still running, a 409 `idempotency_key_in_use` (retry it). A failed request records nothing. Keys are per tenant. */
          "Idempotency-Key"?: string;
        };
        path: {
          upload_id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "multipart/form-data": {
            /** Format: binary */
            data: string;
          };
        };
      };
      responses: {
        /** @description The part */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["UploadPart"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Larger than the configured limit */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Wrong Content-Type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Well-formed but unusable (e.g. a model folder that fails validation, an Idempotency-Key reused for another request) */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/webhook_endpoints": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List webhook endpoints (newest first) */
    get: {
      parameters: {
        query?: {
          /** @description Cursor: the id of the last object of the previous page */
          after?: string;
          limit?: number;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["WebhookEndpointList"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    /** Create a webhook endpoint; the answer carries its signing secret, shown only here */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Makes a retried create safe: a request repeating a key (with the same method, path and body) within the retention time answers the first response, header `Idempotent-Replayed: true`, and creates nothing. The same key with another request is a 422 `idempotency_key_reused`; while the first is still running, a 409 `idempotency_key_in_use` (retry it). A failed request records nothing. Keys are per tenant. */
          "Idempotency-Key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["WebhookEndpointCreateParams"];
        };
      };
      responses: {
        /** @description The endpoint, with `secret` */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["WebhookEndpoint"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Well-formed but unusable (e.g. a model folder that fails validation, an Idempotency-Key reused for another request) */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/webhook_endpoints/{webhook_endpoint_id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Retrieve a webhook endpoint */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          webhook_endpoint_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The endpoint */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["WebhookEndpoint"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    /** Update a webhook endpoint (enabling it again clears `disabled_reason`) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          webhook_endpoint_id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["WebhookEndpointUpdateParams"];
        };
      };
      responses: {
        /** @description The endpoint */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["WebhookEndpoint"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    /** Delete a webhook endpoint and its delivery log */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          webhook_endpoint_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Deleted */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["WebhookEndpointDeleted"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/webhook_endpoints/{webhook_endpoint_id}/deliveries": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List delivery attempts (newest first): time, HTTP status, latency, the answer's first bytes, error */
    get: {
      parameters: {
        query?: {
          /** @description Cursor: the id of the last object of the previous page */
          after?: string;
          limit?: number;
        };
        header?: never;
        path: {
          webhook_endpoint_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page of attempts */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["WebhookDeliveryAttemptList"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/webhook_endpoints/{webhook_endpoint_id}/deliveries/{delivery_id}/redeliver": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Send a delivery again (same event id), with a fresh retry schedule */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          delivery_id: string;
          webhook_endpoint_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The scheduled delivery */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["WebhookDelivery"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/webhook_endpoints/{webhook_endpoint_id}/rotate_secret": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Rotate the signing secret; both secrets sign deliveries during the overlap */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          webhook_endpoint_id: string;
        };
        cookie?: never;
      };
      requestBody?: {
        content: {
          "application/json": components["schemas"]["WebhookEndpointRotateSecretParams"];
        };
      };
      responses: {
        /** @description The endpoint, with the new `secret` */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["WebhookEndpoint"];
          };
        };
        /** @description Invalid request: the message names the parameter (or dataset line) at fault */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/webhook_endpoints/{webhook_endpoint_id}/test": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Send a test event (type webhook_endpoint.test) to this endpoint */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          webhook_endpoint_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The scheduled delivery */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["WebhookDelivery"];
          };
        };
        /** @description Missing or wrong API key */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description No such object for this tenant */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Conflicts with the object's state, or the Idempotency-Key's first request is still running */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
        /** @description Too many requests for this API key (see the retry-after header) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Error"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    CompleteUpload: {
      md5?: string;
      part_ids: string[];
    };
    CreateFineTuningJobRequest: {
      /** @description MiB for caching each example's output of the entirely frozen lowest layers (bfloat16), so later epochs skip their forward pass; LoRA without dropout only; 0: off */
      activation_cache_mb?: number;
      /** @description steps between checkpoints */
      checkpoint_every?: number;
      early_stopping?: components["schemas"]["EarlyStoppingOptions"];
      /** @description also checkpoint at the end of each of the last n epochs */
      epoch_checkpoints?: number;
      grades?: components["schemas"]["GradesOptions"];
      /** @description batches summed into one optimizer step */
      gradient_accumulation_steps?: number;
      hyperparameters?: components["schemas"]["FineTuningHyperparameters"];
      integrations?: unknown[] | null;
      /** @description peak learning rate */
      learning_rate?: number;
      lora?: components["schemas"]["LoraOptions"];
      /**
       * @description learning-rate decay after warmup
       * @enum {string}
       */
      lr_scheduler?: "cosine" | "linear" | "constant";
      /** @description clip gradients to this global norm (0: no clipping) */
      max_grad_norm?: number;
      /** @description truncate examples to this many tokens */
      max_seq_len?: number;
      /** @description cap on optimizer steps */
      max_steps?: number | null;
      metadata?: {
        [key: string]: string;
      } | null;
      method?: {
        supervised?: {
          hyperparameters?: components["schemas"]["FineTuningHyperparameters"];
        };
        /** @enum {string} */
        type: "supervised";
      };
      model: string;
      /** @description join {"text"} examples with EOS into full blocks of max_seq_len tokens, no padding */
      packing?: boolean;
      seed?: number | null;
      suffix?: string | null;
      training_file: string;
      /**
       * @description LoRA adapters, or full fine-tuning of every weight
       * @enum {string}
       */
      training_type?: "lora" | "full";
      validation_file?: string | null;
      /** @description warmup steps as a fraction of total steps */
      warmup_ratio?: number;
      /** @description AdamW weight decay */
      weight_decay?: number;
    };
    CreateUpload: {
      bytes: number;
      expires_after?: components["schemas"]["FileExpiresAfter"];
      filename: string;
      /** @example text/jsonl */
      mime_type: string;
      /** @enum {string} */
      purpose: "fine-tune" | "assistants" | "batch" | "vision" | "user_data" | "evals";
    };
    EarlyStoppingOptions: {
      /** @description steps between validation-loss evaluations */
      eval_interval?: number;
      /** @description minimum validation-loss improvement */
      min_delta?: number;
      /** @description evaluations without improvement before training stops */
      patience?: number;
    } | null;
    Error: {
      error: {
        /** @description One of: `invalid_json` (The request body is not valid JSON); `invalid_value` (A field has a value outside what it allows; `param` names it); `missing_parameter` (A required field is missing; `param` names it); `unknown_parameter` (The body has a field the endpoint does not know (e.g. a misspelt one); `param` names it); `invalid_filename` (The file name is empty, too long or holds control characters); `invalid_file_format` (A fine-tuning file has bad lines; the message names them); `invalid_file` (A referenced file does not exist); `invalid_file_purpose` (A referenced file has the wrong purpose); `invalid_source` (A model source the service will not read from); `invalid_url` (A webhook URL the service will not deliver to); `invalid_multipart` (A multipart body that cannot be parsed, or with a field sent twice); `bytes_mismatch` (An upload's parts do not add up to the bytes it was created with); `checksum_mismatch` (An upload's md5 does not match its bytes); `model_not_supported` (The model cannot be fine-tuned this way); `header_too_large` (The request line or headers are too large); `bad_request` (A request the HTTP server could not parse); `missing_api_key` (No API key, or an Authorization header that is not `Bearer <key>`); `invalid_api_key` (An API key that is not known); `forbidden` (The object may not be changed (e.g. a built-in model)); `not_found` (No such object for this tenant); `model_not_found` (No such model for this tenant); `unknown_url` (No such endpoint); `conflict` (Conflicts with the object's state); `invalid_job_state` (The job's state does not allow this); `upload_not_pending` (The upload is already completed or cancelled); `upload_expired` (The upload has expired); `model_exists` (A model with this id already exists); `delivery_pending` (The webhook delivery is still scheduled); `endpoint_disabled` (The webhook endpoint is disabled); `idempotency_key_in_use` (A request with this Idempotency-Key is still running; retry it); `payload_too_large` (The request body is larger than the limit for its endpoint); `file_too_large` (The file is larger than the configured limit); `unsupported_media_type` (The Content-Type is not what the endpoint takes); `invalid_model` (A model folder that fails validation; `param` names the file, field or tensor); `idempotency_key_reused` (The Idempotency-Key was first used for a different request); `rate_limit_exceeded` (Too many requests for this API key (see the retry-after header)); `internal_error` (The server failed; the request may be retried) */
        code: string;
        message: string;
        param: string | null;
        type: string;
      };
    };
    File: {
      bytes: number;
      /** @description Unix seconds */
      created_at: number;
      expires_at: number | null;
      filename: string;
      /** @example file-3dT2x9QxYy8oVZ0aA1b2C3d4 */
      id: string;
      /** @enum {string} */
      object: "file";
      purpose: string;
      /** @enum {string} */
      status: "uploaded" | "processed" | "error";
      status_details: string | null;
    };
    FileDeleted: {
      deleted: boolean;
      id: string;
      /** @enum {string} */
      object: "file";
    };
    FileExpiresAfter: {
      /** @enum {string} */
      anchor: "created_at";
      seconds: number;
    };
    FileList: {
      data: components["schemas"]["File"][];
      first_id: string | null;
      has_more: boolean;
      last_id: string | null;
      /** @enum {string} */
      object: "list";
    };
    FineTuningHyperparameters: {
      batch_size?: "auto" | number;
      learning_rate_multiplier?: "auto" | number;
      n_epochs?: "auto" | number;
    };
    FineTuningJob: {
      backend: string | null;
      /** @description The resolved training configuration */
      config: {
        [key: string]: unknown;
      };
      created_at: number;
      error: {
        code: string;
        message: string;
        param: string | null;
      } | null;
      estimated_finish: number | null;
      fine_tuned_model: string | null;
      finished_at: number | null;
      grades: {
        frozen_components: number;
        frozen_fraction: number;
        options: {
          [key: string]: unknown;
        };
        steps_completed: number;
        stop_reason: string | null;
        total_components: number | null;
        total_steps: number | null;
      };
      hyperparameters: {
        batch_size: number;
        learning_rate_multiplier: number;
        n_epochs: number;
      };
      id: string;
      integrations: unknown[];
      metadata: {
        [key: string]: string;
      } | null;
      method: {
        supervised: {
          hyperparameters: {
            batch_size: number;
            learning_rate_multiplier: number;
            n_epochs: number;
          };
        };
        /** @enum {string} */
        type: "supervised";
      };
      model: string;
      /** @enum {string} */
      object: "fine_tuning.job";
      organization_id: string;
      pause_requested: boolean;
      result_files: string[];
      seed: number;
      /** @enum {string} */
      status: "validating_files" | "queued" | "running" | "succeeded" | "failed" | "cancelled" | "paused";
      trained_tokens: number | null;
      training_file: string;
      /** @enum {string} */
      training_type: "lora" | "full";
      user_provided_suffix: string | null;
      validation_file: string | null;
    };
    FineTuningJobCheckpoint: {
      created_at: number;
      fine_tuned_model_checkpoint: string;
      fine_tuning_job_id: string;
      id: string;
      metrics: {
        [key: string]: unknown;
      };
      /** @enum {string} */
      object: "fine_tuning.job.checkpoint";
      step_number: number;
    };
    FineTuningJobCheckpointList: {
      data: components["schemas"]["FineTuningJobCheckpoint"][];
      first_id: string | null;
      has_more: boolean;
      last_id: string | null;
      /** @enum {string} */
      object: "list";
    };
    FineTuningJobEvent: {
      created_at: number;
      data: {
        [key: string]: unknown;
      } | null;
      id: string;
      /** @enum {string} */
      level: "info" | "warn" | "error";
      message: string;
      /** @enum {string} */
      object: "fine_tuning.job.event";
      /** @enum {string} */
      type: "message" | "metrics";
    };
    FineTuningJobEventList: {
      data: components["schemas"]["FineTuningJobEvent"][];
      first_id: string | null;
      has_more: boolean;
      last_id: string | null;
      /** @enum {string} */
      object: "list";
    };
    FineTuningJobGrades: {
      [key: string]: unknown;
    };
    FineTuningJobList: {
      data: components["schemas"]["FineTuningJob"][];
      first_id: string | null;
      has_more: boolean;
      last_id: string | null;
      /** @enum {string} */
      object: "list";
    };
    GradesOptions: {
      /** @description grace period as a fraction of total steps */
      alpha?: number;
      /** @description GradES early stopping per weight matrix */
      enabled?: boolean;
      /** @description measure G every n steps */
      interval?: number;
      /** @description stop when this fraction of matrices is frozen */
      max_frozen_ratio?: number;
      /**
       * @description what G measures: the gradient's change (the paper's), the weight's, or the share of the gradient that keeps one direction (sum m² / sum s of its moving averages)
       * @enum {string}
       */
      metric?: "grad_change" | "weight_change" | "grad_snr";
      /**
       * @description sum: plain L1; mean: L1 per element
       * @enum {string}
       */
      normalize?: "sum" | "mean";
      /**
       * @description relative_tau's reference: G at the end of the grace period, or the largest G so far
       * @enum {string}
       */
      relative_reference?: "grace_end" | "peak";
      /** @description freeze below this fraction of the matrix's reference G (replaces tau) */
      relative_tau?: number | null;
      /** @description freeze on a moving average of G, S = s * S + (1 - s) * G, instead of each step's G */
      smoothing?: number | null;
      /** @description freeze threshold on G (after normalisation) */
      tau?: number;
      /** @description a run GradES stops writes a moving average of its weights, A = a * A + (1 - a) * W after each step, started about 1 / (1 - a) steps before the end of the grace period, instead of its last step's */
      weight_average?: number | null;
    };
    Health: {
      /** @description `ok`, or the error reaching the database */
      database: string;
      /** @enum {string} */
      status: "ok" | "degraded";
      /** @description `ok`, or the error reaching object storage */
      storage: string;
    };
    LoraOptions: {
      /** @description LoRA alpha (scaling alpha / r) */
      alpha?: number;
      /** @description dropout on the LoRA input */
      dropout?: number;
      /** @description LoRA rank */
      r?: number;
      /** @description the projections LoRA wraps and GradES tracks */
      target_modules?: ("q_proj" | "k_proj" | "v_proj" | "o_proj" | "gate_proj" | "up_proj" | "down_proj")[];
      /** @description rank-stabilised LoRA: scaling alpha / sqrt(r) */
      use_rslora?: boolean;
    };
    Model: {
      created: number;
      /** @example demo-tiny */
      id: string;
      /**
       * @description Extension: base or fine-tuned
       * @enum {string}
       */
      kind: "base" | "fine_tuned";
      /** @description Extension: Hugging Face model_type (qwen3, qwen2, llama, mistral) */
      model_type: string;
      /** @enum {string} */
      object: "model";
      owned_by: string;
      /** @description Extension: the base model of a fine-tuned model */
      parent: string | null;
    };
    ModelDeleted: {
      deleted: boolean;
      id: string;
      /** @enum {string} */
      object: "model";
    };
    ModelList: {
      data: components["schemas"]["Model"][];
      first_id: string | null;
      has_more: boolean;
      last_id: string | null;
      /** @enum {string} */
      object: "list";
    };
    RegisterModel: {
      /** @example my-qwen3-0.6b */
      id: string;
      /** @description Where the Hugging Face files are */
      source:
        | {
            /**
             * @description Hugging Face file name → id of an uploaded file
             * @example {
             *       "config.json": "file-abc"
             *     }
             */
            files: {
              [key: string]: string;
            };
            /** @enum {string} */
            type: "files";
          }
        | {
            /** @enum {string} */
            type: "s3";
            uri: string;
          };
    };
    Upload: {
      bytes: number;
      created_at: number;
      expires_at: number;
      file: components["schemas"]["File"] & (Record<string, never> | null);
      filename: string;
      id: string;
      /** @enum {string} */
      object: "upload";
      purpose: string;
      /** @enum {string} */
      status: "pending" | "completed" | "cancelled" | "expired";
    };
    UploadPart: {
      created_at: number;
      id: string;
      /** @enum {string} */
      object: "upload.part";
      upload_id: string;
    };
    WebhookDelivery: {
      event_id: string;
      event_type: string;
      id: string;
      /** @enum {string} */
      object: "webhook_endpoint.delivery";
      status: string;
    };
    WebhookDeliveryAttempt: {
      attempt: number;
      created_at: number;
      delivery_id: string;
      /** @enum {string} */
      delivery_status: "pending" | "delivering" | "succeeded" | "failed";
      error: string | null;
      /** @description The webhook-id header: the same on every attempt of a delivery */
      event_id: string;
      event_type: string;
      http_status: number | null;
      id: string;
      latency_ms: number;
      /** @enum {string} */
      object: "webhook_endpoint.delivery_attempt";
      /** @description The first bytes of the answer */
      response_body: string | null;
    };
    WebhookDeliveryAttemptList: {
      data: components["schemas"]["WebhookDeliveryAttempt"][];
      first_id: string | null;
      has_more: boolean;
      last_id: string | null;
      /** @enum {string} */
      object: "list";
    };
    WebhookEndpoint: {
      created_at: number;
      description: string | null;
      /** @description Set when the service disabled the endpoint */
      disabled_reason: string | null;
      enabled: boolean;
      events: string[];
      /** @description Unix seconds of the first failure since the last success */
      failing_since: number | null;
      /** @example we_3dT2x9QxYy8oVZ0aA1b2C3d4 */
      id: string;
      /** @enum {string} */
      object: "webhook_endpoint";
      previous_secret_expires_at: number | null;
      /** @description whsec_…, only in the answers to create and rotate_secret */
      secret?: string;
      /** @enum {string} */
      status: "enabled" | "disabled";
      updated_at: number;
      url: string;
    };
    WebhookEndpointCreateParams: {
      description?: string | null;
      /** @default true */
      enabled: boolean;
      /** @description Event types to receive; ["*"] for all. Types: fine_tuning.job.queued, fine_tuning.job.running, fine_tuning.job.paused, fine_tuning.job.succeeded, fine_tuning.job.failed, fine_tuning.job.cancelled, fine_tuning.job.early_stopped */
      events?: (
        | "fine_tuning.job.queued"
        | "fine_tuning.job.running"
        | "fine_tuning.job.paused"
        | "fine_tuning.job.succeeded"
        | "fine_tuning.job.failed"
        | "fine_tuning.job.cancelled"
        | "fine_tuning.job.early_stopped"
        | "*"
      )[];
      /**
       * @description https URL receiving the events
       * @example https://example.com/hooks
       */
      url: string;
    };
    WebhookEndpointDeleted: {
      deleted: boolean;
      id: string;
      /** @enum {string} */
      object: "webhook_endpoint";
    };
    WebhookEndpointList: {
      data: components["schemas"]["WebhookEndpoint"][];
      first_id: string | null;
      has_more: boolean;
      last_id: string | null;
      /** @enum {string} */
      object: "list";
    };
    WebhookEndpointRotateSecretParams: {
      /** @description How long the old secret keeps signing beside the new one (default: 24 h) */
      overlap_seconds?: number;
    };
    WebhookEndpointUpdateParams: {
      description?: string | null;
      enabled?: boolean;
      /** @description Event types to receive; ["*"] for all. Types: fine_tuning.job.queued, fine_tuning.job.running, fine_tuning.job.paused, fine_tuning.job.succeeded, fine_tuning.job.failed, fine_tuning.job.cancelled, fine_tuning.job.early_stopped */
      events?: (
        | "fine_tuning.job.queued"
        | "fine_tuning.job.running"
        | "fine_tuning.job.paused"
        | "fine_tuning.job.succeeded"
        | "fine_tuning.job.failed"
        | "fine_tuning.job.cancelled"
        | "fine_tuning.job.early_stopped"
        | "*"
      )[];
      /**
       * @description https URL receiving the events
       * @example https://example.com/hooks
       */
      url?: string;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
