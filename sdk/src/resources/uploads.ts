// /v1/uploads: a large file in parts (OpenAI's Uploads API). `uploadFile` does the whole dance for a Blob:
// create the upload, send its slices in parallel, complete it in order, and cancel it if anything fails.
import { multipartBody } from "../core/multipart.ts";
import type { RequestOptions } from "../core/types.ts";
import { APIResource, seg } from "../resource.ts";
import type { FilePurpose, Upload, UploadCompleteParams, UploadCreateParams, UploadPart } from "../types.ts";
import type { UploadProgress, UploadSettings } from "./files.ts";

export interface PartCreateParams {
  /** At most 64 MiB. */
  data: Blob;
  /** Called with the part's bytes sent so far. */
  onProgress?: (sent: number) => void;
}

export interface UploadFileParams {
  blob: Blob;
  filename: string;
  purpose: FilePurpose;
  expires_after?: UploadCreateParams["expires_after"];
  onProgress?: ((progress: UploadProgress) => void) | undefined;
  /** Part size and concurrency; default: the client's `uploads` settings. */
  settings?: Partial<UploadSettings> | undefined;
}

export class Parts extends APIResource {
  create(uploadId: string, params: PartCreateParams, options?: RequestOptions): Promise<UploadPart> {
    return this.client.request({
      method: "POST",
      path: `/uploads/${seg(uploadId)}/parts`,
      rawBody: multipartBody({}, { field: "data", blob: params.data, filename: "part" }, params.onProgress),
      idempotent: true,
      options,
    });
  }
}

export class Uploads extends APIResource {
  readonly parts = new Parts(this.client);

  create(params: UploadCreateParams, options?: RequestOptions): Promise<Upload> {
    return this.client.request({ method: "POST", path: "/uploads", body: params, idempotent: true, options });
  }

  /** The parts, in the order given, become one file (`upload.file`). */
  complete(uploadId: string, params: UploadCompleteParams, options?: RequestOptions): Promise<Upload> {
    return this.client.request({
      method: "POST",
      path: `/uploads/${seg(uploadId)}/complete`,
      body: params,
      // A retry of a completion that went through answers the completed upload, not a 409.
      idempotent: true,
      options,
    });
  }

  cancel(uploadId: string, options?: RequestOptions): Promise<Upload> {
    return this.client.request({ method: "POST", path: `/uploads/${seg(uploadId)}/cancel`, options });
  }

  async uploadFile(params: UploadFileParams, options?: RequestOptions): Promise<Upload> {
    const { blob } = params;
    const settings = { ...this.client.uploadSettings, ...params.settings };
    const upload = await this.create(
      {
        bytes: blob.size,
        filename: params.filename,
        mime_type: blob.type || "application/octet-stream",
        purpose: params.purpose,
        ...(params.expires_after ? { expires_after: params.expires_after } : {}),
      },
      options,
    );
    const count = Math.max(1, Math.ceil(blob.size / settings.partSize));
    const sent = new Array<number>(count).fill(0);
    const report = () => params.onProgress?.({ loaded: sent.reduce((a, b) => a + b, 0), total: blob.size });
    const partIds = new Array<string>(count);
    let next = 0;
    // A failing part stops the others from starting: `failed` is checked before each new part.
    let failed = false;
    const sendParts = async () => {
      while (!failed && next < count) {
        const i = next++;
        const data = blob.slice(i * settings.partSize, Math.min(blob.size, (i + 1) * settings.partSize));
        try {
          const part = await this.parts.create(
            upload.id,
            {
              data,
              onProgress: (n) => {
                sent[i] = n;
                report();
              },
            },
            options,
          );
          partIds[i] = part.id;
          sent[i] = data.size;
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(settings.concurrency, count) }, sendParts));
      const completed = await this.complete(upload.id, { part_ids: partIds }, options);
      report();
      return completed;
    } catch (err) {
      await this.cancel(upload.id, { maxRetries: 0 }).catch(() => {});
      throw err;
    }
  }
}
