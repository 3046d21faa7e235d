// Registers a base model to fine-tune: a Hugging Face folder on this machine (its files are uploaded first) or
// an s3:// prefix the service can read. The service validates the folder before accepting it.
//
//   GRADES_API_KEY=… npx tsx register-model.ts <model-id> <folder | s3://bucket/prefix/>
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import Grades, { UnprocessableEntityError } from "@grades-finetune/sdk";

const [id, from] = process.argv.slice(2);
if (!id || !from) {
  console.error("usage: register-model.ts <model-id> <folder | s3://bucket/prefix/>");
  process.exit(2);
}

/**
 * The file names the service takes a model from (it refuses others, naming them); the rest of a Hugging Face
 * folder (README.md, .gitattributes, added_tokens.json…) is left out.
 */
const MODEL_FILE =
  /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|vocab\.json|merges\.txt|model\.safetensors\.index\.json|[\w.-]+\.safetensors)$/;

const client = new Grades();

async function uploadFolder(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).filter((n) => MODEL_FILE.test(n))) {
    // Large weights go through the Uploads API in parallel parts by themselves.
    const file = await client.files.create({ file: join(dir, name), purpose: "user_data" });
    files[name] = file.id;
    console.error(`uploaded ${name} as ${file.id}`);
  }
  return files;
}

try {
  const model = await client.models.register({
    id,
    source: from.startsWith("s3://")
      ? { type: "s3", uri: from }
      : { type: "files", files: await uploadFolder(from) },
  });
  console.log(JSON.stringify(model));
} catch (err) {
  // The service names the file at fault (`param`), e.g. a weight with the wrong shape.
  if (err instanceof UnprocessableEntityError) console.error(`not usable (${err.param}): ${err.message}`);
  else throw err;
  process.exit(1);
}
