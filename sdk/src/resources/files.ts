// /v1/files. `create` takes a path, Blob, bytes or stream; past `uploads.threshold` bytes it sends the file
// through the Uploads API instead, in parts, several at a time.
import { multipartBody } from "../core/multipart.ts";
import type { PagePromise } from "../core/pagination.ts";
import type { RequestOptions } from "../core/types.ts";
import { mimeTypeOf, toBlob, type Uploadable } from "../core/uploadable.ts";
import { APIResource, seg } from "../resource.ts";
import type { FileDeleted, FileListParams, FileObject, FilePurpose } from "../types.ts";

export interface UploadSettings {
  /** Files larger than this many bytes go through the Uploads API (default 64 MiB). */
  threshold: number;
  /** Bytes per part (default 16 MiB; the service accepts at most 64 MiB). */
  partSize: number;
  /** Parts sent at the same time (default 4). */
  concurrency: number;
}

export const DEFAULT_UPLOAD_SETTINGS: UploadSettings = {
  threshold: 64 * 1024 * 1024,
  partSize: 16 * 1024 * 1024,
  concurrency: 4,
};

export interface UploadProgress {
  /** File bytes sent so far. */
  loaded: number;
  total: number;
}

export interface FileCreateParams {
  file: Uploadable;
  purpose: FilePurpose;
  /** Defaults to the path's base name or the File's name, else "upload". */
  filename?: string;
  /** Defaults to the Blob's type, else one guessed from the file name. */
  mimeType?: string;
  expires_after?: { anchor: "created_at"; seconds: number };
  /** Called as bytes are sent (where the runtime streams request bodies) and once when all are. */
  onProgress?: (progress: UploadProgress) => void;
  /** Overrides the client's `uploads` settings for this file. */
  upload?: Partial<UploadSettings>;
}

export class Files extends APIResource {
  async create(params: FileCreateParams, options?: RequestOptions): Promise<FileObject> {
    const { blob: given, filename } = await toBlob(params.file, params.filename);
    const type = params.mimeType ?? (given.type || mimeTypeOf(filename));
    const blob = given.type === type ? given : given.slice(0, given.size, type);
    const settings = { ...this.client.uploadSettings, ...params.upload };
    if (blob.size > settings.threshold) {
      const upload = await this.client.uploads.uploadFile(
        {
          blob,
          filename,
          purpose: params.purpose,
          expires_after: params.expires_after,
          onProgress: params.onProgress,
          settings,
        },
        options,
      );
      return upload.file!;
    }
    const fields: Record<string, string> = { purpose: params.purpose };
    if (params.expires_after) {
      fields["expires_after[anchor]"] = params.expires_after.anchor;
      fields["expires_after[seconds]"] = String(params.expires_after.seconds);
    }
    const onProgress = params.onProgress;
    const file = await this.client.request<FileObject>({
      method: "POST",
      path: "/files",
      rawBody: multipartBody(
        fields,
        { field: "file", blob, filename },
        onProgress && ((loaded) => onProgress({ loaded, total: blob.size })),
      ),
      idempotent: true,
      options,
    });
    onProgress?.({ loaded: blob.size, total: blob.size });
    return file;
  }

  retrieve(fileId: string, options?: RequestOptions): Promise<FileObject> {
    return this.client.request({ method: "GET", path: `/files/${seg(fileId)}`, options });
  }

  /** Newest first by default; iterate the result for every file. */
  list(params: FileListParams = {}, options?: RequestOptions): PagePromise<FileObject> {
    return this.client.list("/files", params, options);
  }

  delete(fileId: string, options?: RequestOptions): Promise<FileDeleted> {
    return this.client.request({ method: "DELETE", path: `/files/${seg(fileId)}`, options });
  }

  /** The file's bytes as a Response: `.text()`, `.arrayBuffer()`, or `.body` to stream. */
  content(fileId: string, options?: RequestOptions): Promise<Response> {
    return this.client.requestResponse({
      method: "GET",
      path: `/files/${seg(fileId)}/content`,
      options: { ...options, headers: { accept: "application/octet-stream", ...options?.headers } },
    });
  }
}
