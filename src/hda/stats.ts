/**
 * Process-wide counters of HDA traffic, read by the bridge's /metrics (src/bridge/metrics.ts).
 * Plain numbers incremented where requests, retries and bytes happen, so src/hda stays free of
 * any metrics library and the CLI pays nothing for it.
 */

export interface HdaStats {
  /** Responses by HTTP status (`"200"`, `"503"`, ...), plus `"error"` for requests that got no response. */
  requests: Map<string, number>;
  /** Waits before another attempt (backoff after 5xx/408/resets, quota waits after 429). */
  retries: number;
  /** Product bytes written to disk by downloads (resumed parts counted once). */
  bytesDownloaded: number;
}

export const hdaStats: HdaStats = { requests: new Map(), retries: 0, bytesDownloaded: 0 };

export function countHdaRequest(status: number | 'error'): void {
  const k = String(status);
  hdaStats.requests.set(k, (hdaStats.requests.get(k) ?? 0) + 1);
}
