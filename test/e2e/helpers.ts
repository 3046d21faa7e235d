// Shared by the fine-tuning suites: a dataset in OpenAI's chat format, uploading it, and a base model row.
import { insertModel } from "../../db/models.ts";
import type { TestApp } from "../support/app.ts";
import { multipart } from "../support/app.ts";

/** `n` short chat examples teaching one fixed reply, so a few steps of training visibly change the model. */
export function chatDataset(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        messages: [
          { role: "user", content: `What is the colour of item ${i}?` },
          { role: "assistant", content: "Blue, always blue." },
        ],
      }),
    );
  }
  return `${lines.join("\n")}\n`;
}

export async function uploadDataset(t: TestApp, content: string, purpose = "fine-tune"): Promise<string> {
  const res = await t.request("/v1/files", {
    method: "POST",
    body: multipart({ name: "train.jsonl", content }, { purpose }),
  });
  const body = (await res.json()) as { id: string };
  if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}

/** A base model row for API-only tests (no files behind it: no worker runs in those suites). */
export async function registerFakeBaseModel(t: TestApp, name: string): Promise<void> {
  await insertModel(t.db.db, {
    name,
    owner: "system",
    kind: "base",
    modelType: "qwen3",
    storagePrefix: `models/system/${name}/`,
    config: { model_type: "qwen3" },
    source: { type: "builtin" },
  });
}

export function postJson(t: TestApp, path: string, body: unknown, apiKey?: string): Promise<Response> {
  return t.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify(body),
  });
}
