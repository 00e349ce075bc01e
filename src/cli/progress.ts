/**
 * Progress on stderr: a redrawn bar on a terminal; on a pipe (CI logs, tests) one line per finished
 * phase, so logs stay readable and stdout keeps only the summary.
 */
export class Progress {
  private done = 0;
  private phase = '';
  private phaseStart = 0;
  private phaseSteps = 0;
  private readonly tty: boolean;

  constructor(private readonly total: number, private readonly stream: NodeJS.WriteStream = process.stderr,
      private readonly enabled = true) {
    this.tty = Boolean(stream.isTTY);
  }

  start(phase: string): void {
    this.phase = phase;
    this.phaseStart = Date.now();
    this.phaseSteps = 0;
    this.draw();
  }

  step(detail = ''): void {
    this.done++;
    this.phaseSteps++;
    this.draw(detail);
  }

  end(summary: string): void {
    if (!this.enabled) return;
    const secs = ((Date.now() - this.phaseStart) / 1000).toFixed(1);
    if (this.tty) this.stream.write('\r\x1b[K');
    this.stream.write(`  ${this.phase}: ${summary} (${secs} s)\n`);
  }

  private draw(detail = ''): void {
    if (!this.enabled || !this.tty) return;
    const width = 28;
    const filled = Math.round((this.done / Math.max(1, this.total)) * width);
    const elapsed = (Date.now() - this.phaseStart) / 1000;
    const rate = this.phaseSteps ? ` ${(elapsed / this.phaseSteps).toFixed(2)} s/frame` : '';
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ${this.phase}${rate}${detail ? ` ${detail}` : ''}`;
    this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns || 100) - 1)}`);
  }
}
