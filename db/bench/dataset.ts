// A small chat dataset for the benchmark's training jobs.
export function chatLines(n: number): string {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      messages: [
        { role: "user", content: `What is the colour of item ${i}?` },
        { role: "assistant", content: "Blue, always blue." },
      ],
    }),
  );
  return `${lines.join("\n")}\n`;
}
