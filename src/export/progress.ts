/**
 * Export progress: on a terminal one redrawn line with rows done of planned, Parquet bytes
 * written, rate and ETA; otherwise a plain line every few seconds (logs, CI), never both.
 */
import { formatSize } from '../text/size.js';

export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
}

export class ExportProgress {
  private readonly t0 = Date.now();
  private last = 0;
  private drawn = false;

  constructor(
    private readonly out: ProgressSink | null,
    private readonly plannedRows: number,
    private readonly everyMs = 5000,
  ) {}

  update(rows: number, bytes: number, force = false): void {
    if (!this.out) return;
    const now = Date.now();
    const tty = this.out.isTTY === true;
    if (!force && now - this.last < (tty ? 200 : this.everyMs)) return;
    this.last = now;
    const line = this.line(rows, bytes, now);
    if (tty) {
      this.out.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else this.out.write(`${line}\n`);
  }

  finish(rows: number, bytes: number): void {
    if (!this.out) return;
    if (this.out.isTTY) {
      this.update(rows, bytes, true);
      if (this.drawn) this.out.write('\n');
    }
  }

  line(rows: number, bytes: number, now = Date.now()): string {
    const s = Math.max(0.001, (now - this.t0) / 1000);
    const frac = this.plannedRows > 0 ? Math.min(1, rows / this.plannedRows) : 0;
    const w = 24;
    const filled = Math.round(frac * w);
    const eta = frac > 0 && frac < 1 ? `, ETA ${clock((s / frac) * (1 - frac))}` : '';
    return `[${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${(frac * 100).toFixed(0)}% ${rows.toLocaleString('en-US')}/${this.plannedRows.toLocaleString('en-US')} rows, ${formatSize(bytes)} Parquet, ${(rows / s / 1e6).toFixed(2)} M rows/s${eta}`;
  }
}

function clock(seconds: number): string {
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
