/** A progress bar with rate and ETA on stderr (a line every few seconds when stderr is not a terminal). */
export class Progress {
  private readonly started = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, final = false): void {
    const now = Date.now();
    const interval = this.stream.isTTY ? 200 : 5000;
    if (!final && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const rate = done / seconds;
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const eta = rate > 0 && this.total > done ? `${Math.ceil((this.total - done) / rate)}s` : '0s';
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% ${done.toLocaleString('en')}/${this.total.toLocaleString('en')} events ${Math.round(rate).toLocaleString('en')} ev/s ETA ${eta}`;
    this.stream.write(this.stream.isTTY ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
  }
}
