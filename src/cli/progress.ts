import type { Writable } from 'node:stream';

/**
 * A one-line progress meter on a terminal's stderr: bytes and records read, rate, time left.
 * Nothing is written unless stderr is a terminal, so pipes, files and CI logs never see it.
 */
export class ProgressMeter {
  private total = 0;
  private bytes = 0;
  private records = 0;
  private readonly started = Date.now();
  private last = 0;
  private shown = false;

  constructor(
    private readonly out: Writable,
    private readonly enabled: boolean,
  ) {}

  setTotal(bytes: number): void {
    this.total = bytes;
  }

  add = (bytes: number, records: number): void => {
    this.bytes += bytes;
    this.records += records;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.started) / 1000);
    const rate = this.bytes / secs;
    const left = this.total > this.bytes && rate > 0 ? Math.ceil((this.total - this.bytes) / rate) : 0;
    const pct = this.total ? ` (${Math.floor((100 * this.bytes) / this.total)}%)` : '';
    this.out.write(
      `\r\x1b[K${mb(this.bytes)}/${mb(this.total)}${pct}, ${this.records.toLocaleString('en-US')} records, ${mb(rate)}/s, ${left}s left`,
    );
    this.shown = true;
  };

  done(): void {
    if (this.shown) this.out.write('\r\x1b[K');
  }
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`;
}
