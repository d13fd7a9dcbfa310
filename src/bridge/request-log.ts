/**
 * One log line per finished request, Flight and HTTP alike, on stderr (stdout carries the
 * banner that scripts read). `text` is for people, `json` for log collectors. Lines hold what a
 * request was about (method, dataset, rows, bytes, time, status) and never its credentials:
 * no headers and no URL query strings are logged, and error texts are the bounded client
 * messages of errors.ts.
 */
import type { BridgeMetrics, RequestRecord } from './metrics.js';

export const LOG_FORMATS = ['text', 'json', 'off'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface RequestLogLine extends RequestRecord {
  /** Client message of a failed request. */
  error?: string;
}

export type LogSink = (line: string) => void;

export class RequestLog {
  constructor(
    public format: LogFormat = 'text',
    private readonly sink: LogSink = (line) => process.stderr.write(line),
  ) {}

  write(r: RequestLogLine): void {
    if (this.format === 'off') return;
    const time = new Date().toISOString();
    if (this.format === 'json') {
      this.sink(`${JSON.stringify({ time, method: r.method, dataset: r.dataset ?? null, rows: r.rows, bytes: r.bytes, ms: r.ms, status: r.status, ...(r.error ? { error: r.error } : {}) })}\n`);
      return;
    }
    const parts = [time, r.method, `dataset=${r.dataset ?? '-'}`, `rows=${r.rows}`, `bytes=${r.bytes}`, `ms=${r.ms}`, `status=${r.status}`];
    if (r.error) parts.push(`error=${JSON.stringify(r.error)}`);
    this.sink(`${parts.join(' ')}\n`);
  }
}

export function parseLogFormat(v: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(v)) return v as LogFormat;
  throw new Error(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${v.slice(0, 40)}"`);
}

/**
 * A request under way: transports fill in dataset, rows and bytes as they go and call `end`
 * once, which logs the line and counts it in the metrics.
 */
export class RequestTracker {
  dataset: string | undefined;
  rows = 0;
  bytes = 0;
  private readonly t0 = performance.now();
  private ended = false;

  constructor(
    readonly method: string,
    private readonly log: RequestLog,
    private readonly metrics: BridgeMetrics,
  ) {}

  /** Counts data sent now, so /metrics moves while a long stream runs. */
  sent(rows: number, bytes: number): void {
    this.rows += rows;
    this.bytes += bytes;
    if (this.dataset) this.metrics.sent(this.dataset, rows, bytes);
  }

  end(status: string, error?: string): void {
    if (this.ended) return;
    this.ended = true;
    const rec: RequestLogLine = { method: this.method, status, dataset: this.dataset, rows: this.rows, bytes: this.bytes, ms: Math.round(performance.now() - this.t0), error };
    this.metrics.record(rec);
    this.log.write(rec);
  }
}
