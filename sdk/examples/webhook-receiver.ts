// Receives the service's webhooks, verifies them (Standard Webhooks signatures, with the endpoint's secret)
// before trusting them, and looks the job up when one has finished.
//
//   GRADES_API_KEY=… GRADES_WEBHOOK_SECRET=whsec_… PORT=3000 npx tsx webhook-receiver.ts
import { createServer } from "node:http";
import Grades, { WebhookVerificationError } from "@grades-finetune/sdk";

const client = new Grades();

const server = createServer(async (req, res) => {
  // The signature covers the exact bytes: read the raw body, never a re-serialised JSON.
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  try {
    const event = await client.webhooks.unwrap(body, req.headers);
    console.log(`${event.type} ${event.data.id}`);
    // Answer fast: the sender waits for a 2xx; slow work belongs after the reply.
    res.writeHead(200).end();
    if (event.type === "fine_tuning.job.succeeded") {
      const job = await client.fineTuning.jobs.retrieve(event.data.id);
      console.log(`fine-tuned model ${job.fine_tuned_model}`);
    }
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    console.log(`rejected: ${err.message}`);
    res.writeHead(400).end();
  }
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === "object" ? address?.port : address}`);
});
process.once("SIGTERM", () => server.close());
