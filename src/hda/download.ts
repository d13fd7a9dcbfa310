/**
 * Streams an ordered product to disk: Range resume after broken connections (only when the
 * server answers 206 with the matching Content-Range; a 200 restarts from zero), size checks
 * against Content-Length, token refresh on 401/403, quota handling on 429, backoff on 5xx.
 * The caller writes into a temporary path and renames it into place only when complete.
 */
import { open, stat, truncate } from 'node:fs/promises';
import { interceptors, request, type Dispatcher } from 'undici';
import { HdaDownloadError, HdaQuotaError, HdaUnavailableError, serverMessage } from './errors.js';
import { backoff, header, isRetryableNetworkError, quotaMessage, quotaWaitMs, retryWait, type HdaHttp } from './http.js';
import { countHdaRequest, hdaStats } from './stats.js';

export interface FetchResult {
  bytes: number;
  /** True when the size was verified against Content-Length / Content-Range (authoritative). */
  sizeChecked: boolean;
  filename: string | null;
  resumed: number;
}

/** `filename` is the product's file name once the server has said it (Content-Disposition). */
export type ProgressFn = (received: number, total: number | null, filename: string | null) => void;

/** Filename from Content-Disposition (quoted or not, RFC 5987 filename* too), sanitised for the local disk. */
export function filenameFrom(cd: string | undefined): string | null {
  if (!cd) return null;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(cd);
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(cd);
  let name = star ? decodeURIComponent(star[1]!.trim()) : plain ? (plain[2] ?? plain[1]!).trim() : null;
  if (!name) return null;
  name = name.replace(/^.*[\\/]/, '').replace(/[^A-Za-z0-9._+-]/g, '_');
  return name && name !== '.' && name !== '..' ? name : null;
}

/** One redirect-following dispatcher per client, sharing its connection pool. */
const redirecting = new WeakMap<HdaHttp, Dispatcher>();

export async function fetchToFile(http: HdaHttp, path: string, dest: string, onProgress?: ProgressFn): Promise<FetchResult> {
  // Follow redirects (object storage); undici drops Authorization on cross-origin hops.
  let dispatcher = redirecting.get(http);
  if (!dispatcher) redirecting.set(http, (dispatcher = http.dispatcher.compose(interceptors.redirect({ maxRedirections: 5 }))));
  const url = http.url(path);
  let have = await stat(dest).then((s) => s.size).catch(() => 0);
  const resumedFrom = have;
  let reauthed = false;
  let filename: string | null = null;
  let total: number | null = null;
  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = { authorization: `Bearer ${await http.accessToken()}` };
    if (have > 0) headers.range = `bytes=${have}-`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: 'GET', headers, dispatcher });
    } catch (e) {
      countHdaRequest('error');
      if (isRetryableNetworkError(e) && attempt < http.retry.attempts) {
        await retryWait(backoff(attempt, http.retry));
        continue;
      }
      throw new HdaUnavailableError(`download ${path}: ${(e as Error).message}`);
    }
    const status = res.statusCode;
    countHdaRequest(status);
    if (status === 401 || status === 403) {
      const body = await res.body.text();
      if (!reauthed) {
        reauthed = true;
        http.invalidateToken();
        attempt--;
        continue;
      }
      throw new HdaDownloadError(`download ${path}: not authorised: ${serverMessage(body)}`, status);
    }
    if (status === 429) {
      await res.body.dump();
      const wait = quotaWaitMs(res.headers);
      if (wait !== null && wait <= http.retry.maxQuotaWaitMs && attempt < http.retry.attempts) {
        await retryWait(wait);
        continue;
      }
      throw new HdaQuotaError(quotaMessage(res.headers), 429);
    }
    if (status >= 500 || status === 408) {
      const body = await res.body.text();
      if (attempt < http.retry.attempts) {
        await retryWait(backoff(attempt, http.retry));
        continue;
      }
      throw new HdaUnavailableError(`download ${path}: HTTP ${status} after ${attempt} attempts: ${serverMessage(body)}`, status);
    }
    if (status !== 200 && status !== 206) {
      const body = await res.body.text();
      throw new HdaDownloadError(`download ${path}: HTTP ${status}: ${serverMessage(body)}`, status);
    }
    filename ??= filenameFrom(header(res.headers, 'content-disposition'));
    const length = Number(header(res.headers, 'content-length'));
    if (status === 206) {
      const m = /bytes\s+(\d+)-(\d+)\/(\d+|\*)/.exec(header(res.headers, 'content-range') ?? '');
      if (!m || Number(m[1]) !== have) {
        // A range we did not ask for: start over rather than risk a corrupt file.
        await res.body.dump();
        await truncate(dest, 0).catch(() => undefined);
        have = 0;
        continue;
      }
      if (m[3] !== '*') total = Number(m[3]);
    } else {
      if (have > 0) await truncate(dest, 0).catch(() => undefined); // server ignored Range
      have = 0;
      total = Number.isFinite(length) ? length : null;
    }
    // Write chunk by chunk through one file handle: after a broken connection the file holds
    // exactly the bytes received, so the next attempt resumes from there.
    let received = have;
    const fh = await open(dest, have > 0 ? 'a' : 'w');
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        await fh.write(chunk);
        received += chunk.length;
        hdaStats.bytesDownloaded += chunk.length;
        onProgress?.(received, total, filename);
      }
    } catch (e) {
      await fh.close();
      have = received;
      if (attempt < http.retry.attempts) {
        await retryWait(backoff(attempt, http.retry));
        continue;
      }
      throw new HdaDownloadError(`download ${path}: connection broken after ${have} bytes: ${(e as Error).message}`);
    }
    await fh.close();
    have = await stat(dest).then((s) => s.size);
    if (total !== null && have < total) {
      // Truncated body (fewer bytes than Content-Length): resume from what we have.
      if (attempt < http.retry.attempts) {
        await retryWait(backoff(attempt, http.retry));
        continue;
      }
      throw new HdaDownloadError(`download ${path}: got ${have} of ${total} bytes after ${attempt} attempts`);
    }
    if (total !== null && have > total) throw new HdaDownloadError(`download ${path}: got ${have} bytes, more than the announced ${total}`);
    return { bytes: have, filename, resumed: resumedFrom, sizeChecked: total !== null };
  }
}
