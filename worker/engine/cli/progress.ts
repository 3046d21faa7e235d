// A one-line progress bar for a terminal; on a pipe (CI logs) it prints a plain line every few percent instead.
interface Stream {
  write(s: string): boolean;
  isTTY?: boolean;
}

const WIDTH = 24;

export class ProgressBar {
  private lastPercent = -1;
  private drawn = false;

  constructor(private readonly out: Stream) {}

  update(step: number, total: number, text: string): void {
    const ratio = total > 0 ? Math.min(1, step / total) : 0;
    if (this.out.isTTY) {
      const filled = Math.round(ratio * WIDTH);
      this.out.write(
        `\r\x1b[2K[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${step}/${total}  ${text}`,
      );
      this.drawn = true;
      return;
    }
    const percent = Math.floor(ratio * 20) * 5;
    if (percent !== this.lastPercent || step === total) {
      this.lastPercent = percent;
      this.out.write(`step ${step}/${total}  ${text}\n`);
    }
  }

  /** A message on its own line, above the bar. */
  log(text: string): void {
    if (this.drawn) this.out.write("\r\x1b[2K");
    this.out.write(`${text}\n`);
    this.drawn = false;
  }

  done(): void {
    if (this.drawn) this.out.write("\n");
    this.drawn = false;
  }
}
