/**
 * HTTP to the HDA broker (undici 7): bearer token handling, bounded retries with exponential
 * backoff and jitter for 5xx/408/timeouts/resets, 429 quota handling (Retry-After or
 * X-Quota-Reset, then a clear quota error), and fast failure with the server's message on other
 * 4xx. The token request gets the same retries as any other (a broker restarting answers 503
 * to logins too). Every limit is configurable so tests can run the fault matrix in milliseconds.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { HdaConfig } from './config.js';
import { HdaAuthError, HdaError, HdaQuotaError, HdaUnavailableError, serverMessage } from './errors.js';
import { countHdaRequest, hdaStats } from './stats.js';

export interface RetryPolicy {
  /** Attempts per request, first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest quota wait (Retry-After / X-Quota-Reset) honoured before giving up with HdaQuotaError. */
  maxQuotaWaitMs: number;
  /** Headers and body idle timeouts. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 30_000, maxQuotaWaitMs: 120_000, timeoutMs: 60_000 };

/** Renew the token this long before it expires. */
const TOKEN_MARGIN_MS = 60_000;

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface CallOptions {
  query?: Record<string, string | number>;
  json?: unknown;
  form?: Record<string, string>;
  auth?: boolean;
  /** Statuses returned to the caller instead of being treated as errors (e.g. 202 while polling). */
  accept?: number[];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A wait before another attempt of the same request (counted in hdaStats.retries). */
export function retryWait(ms: number): Promise<void> {
  hdaStats.retries++;
  return sleep(ms);
}

export function backoff(attempt: number, p: RetryPolicy): number {
  const exp = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1));
  return exp / 2 + Math.random() * (exp / 2); // "equal jitter"
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN']);

export function isRetryableNetworkError(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return RETRYABLE_CODES.has(err?.code ?? '') || RETRYABLE_CODES.has(err?.cause?.code ?? '');
}

/** How long a 429 asks us to wait, from Retry-After (seconds or date) or X-Quota-Reset (epoch seconds). */
export function quotaWaitMs(headers: Response['headers'], now = Date.now()): number | null {
  const ra = header(headers, 'retry-after');
  if (ra) {
    const s = Number(ra);
    if (Number.isFinite(s)) return Math.max(0, s * 1000);
    const d = Date.parse(ra);
    if (!Number.isNaN(d)) return Math.max(0, d - now);
  }
  const reset = Number(header(headers, 'x-quota-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now);
  return null;
}

export function quotaMessage(headers: Response['headers']): string {
  const limit = header(headers, 'x-quota-limit');
  const remaining = header(headers, 'x-quota-remaining');
  const reset = Number(header(headers, 'x-quota-reset'));
  const parts = ['WEkEO HDA quota reached (HTTP 429)'];
  if (limit !== undefined && remaining !== undefined) parts.push(`${remaining} requests remaining out of ${limit}`);
  if (Number.isFinite(reset) && reset > 0) parts.push(`quota resets at ${new Date(reset * 1000).toISOString()}`);
  parts.push('wait before retrying, or lower --parallel');
  return parts.join('; ');
}

export function header(h: Response['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

export class HdaHttp {
  readonly dispatcher: Dispatcher;
  private token: { access: string; refresh?: string; expiresAt: number } | null = null;
  private tokenPromise: Promise<string> | null = null;

  constructor(
    readonly config: HdaConfig,
    readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.dispatcher = new Agent({ headersTimeout: retry.timeoutMs, bodyTimeout: retry.timeoutMs, connections: 16 });
  }

  url(path: string, query?: Record<string, string | number>): string {
    const base = this.config.url;
    // Token endpoints live at the broker root, data endpoints under api/v1.
    const full = /^(gettoken|refreshtoken)$/.test(path) ? base + path : `${base}api/v1/${path.replace(/^\//, '')}`;
    if (!query) return full;
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    return `${full}?${qs}`;
  }

  /** A valid access token, fetched or refreshed as needed (one request in flight at a time). */
  async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt - TOKEN_MARGIN_MS) return this.token.access;
    this.tokenPromise ??= this.fetchToken().finally(() => (this.tokenPromise = null));
    return this.tokenPromise;
  }

  invalidateToken(): void {
    if (this.token) this.token.expiresAt = 0;
  }

  private async fetchToken(): Promise<string> {
    if (this.token?.refresh) {
      const r = await this.rawRetrying('POST', this.url('refreshtoken'), { form: { refresh_token: this.token.refresh } });
      if (r.status === 200) return this.storeToken(r);
      // An expired or invalid refresh token: fall back to a fresh login.
    }
    const r = await this.rawRetrying('POST', this.url('gettoken'), { json: { username: this.config.user, password: this.config.password } });
    if (r.status >= 500 || r.status === 408) {
      throw new HdaUnavailableError(`WEkEO login: the broker at ${this.config.url} kept answering HTTP ${r.status} (${this.retry.attempts} attempts): ${serverMessage(r.body)}; try again later`, r.status);
    }
    if (r.status !== 200) {
      throw new HdaAuthError(`WEkEO login failed for user "${this.config.user}" (credentials from ${this.config.source}): ${serverMessage(r.body)} (HTTP ${r.status})`, r.status);
    }
    return this.storeToken(r);
  }

  /**
   * A token request with the bounded backoff of call(): network errors and 5xx/408 are retried,
   * any other answer is returned for the caller to judge.
   */
  private async rawRetrying(method: Dispatcher.HttpMethod, url: string, opts: CallOptions): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      let r: Response;
      try {
        r = await this.raw(method, url, opts);
      } catch (e) {
        if (isRetryableNetworkError(e) && attempt < this.retry.attempts) {
          await retryWait(backoff(attempt, this.retry));
          continue;
        }
        throw new HdaUnavailableError(`WEkEO login: cannot reach the broker at ${this.config.url}: ${(e as Error).message} (${attempt} attempts)`);
      }
      if ((r.status >= 500 || r.status === 408) && attempt < this.retry.attempts) {
        await retryWait(backoff(attempt, this.retry));
        continue;
      }
      return r;
    }
  }

  private storeToken(r: Response): string {
    const j = JSON.parse(r.body) as { access_token?: string; refresh_token?: string; expires_in?: number };
    if (!j.access_token) throw new HdaAuthError('WEkEO token endpoint answered without access_token');
    this.token = { access: j.access_token, refresh: j.refresh_token, expiresAt: Date.now() + (j.expires_in ?? 3600) * 1000 };
    return j.access_token;
  }

  /** One request with retries; throws typed errors. */
  async call(method: Dispatcher.HttpMethod, path: string, opts: CallOptions = {}): Promise<Response> {
    const url = this.url(path, opts.query);
    let reauthed = false;
    for (let attempt = 1; ; attempt++) {
      let r: Response;
      try {
        const token = opts.auth === false ? undefined : await this.accessToken();
        r = await this.raw(method, url, { ...opts, token });
      } catch (e) {
        if (e instanceof HdaError) throw e;
        if (isRetryableNetworkError(e) && attempt < this.retry.attempts) {
          await retryWait(backoff(attempt, this.retry));
          continue;
        }
        throw new HdaUnavailableError(`${method} ${path}: ${(e as Error).message}`);
      }
      if (opts.accept?.includes(r.status) || (r.status >= 200 && r.status < 300)) return r;
      if ((r.status === 401 || r.status === 403) && opts.auth !== false && !reauthed) {
        // Expired token mid-run: log in again once.
        reauthed = true;
        this.invalidateToken();
        attempt--;
        continue;
      }
      if (r.status === 401 || r.status === 403) throw new HdaAuthError(`${method} ${path}: not authorised: ${serverMessage(r.body)}`, r.status);
      if (r.status === 429) {
        const wait = quotaWaitMs(r.headers);
        if (wait !== null && wait <= this.retry.maxQuotaWaitMs && attempt < this.retry.attempts) {
          await retryWait(wait);
          continue;
        }
        throw new HdaQuotaError(quotaMessage(r.headers), 429);
      }
      if ((r.status >= 500 || r.status === 408) && attempt < this.retry.attempts) {
        await retryWait(backoff(attempt, this.retry));
        continue;
      }
      if (r.status >= 500 || r.status === 408) throw new HdaUnavailableError(`${method} ${path}: HTTP ${r.status} after ${attempt} attempts: ${serverMessage(r.body)}`, r.status);
      throw new HdaError(`${method} ${path}: HTTP ${r.status}: ${serverMessage(r.body)}`, r.status);
    }
  }

  async json<T>(method: Dispatcher.HttpMethod, path: string, opts: CallOptions = {}): Promise<T> {
    const r = await this.call(method, path, opts);
    try {
      return JSON.parse(r.body) as T;
    } catch {
      throw new HdaError(`${method} ${path}: the server answered with invalid JSON`);
    }
  }

  private async raw(method: Dispatcher.HttpMethod, url: string, opts: CallOptions & { token?: string }): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await request(url, { method, headers, body, dispatcher: this.dispatcher }).catch((e: unknown) => {
      countHdaRequest('error');
      throw e;
    });
    countHdaRequest(res.statusCode);
    const text = method === 'HEAD' ? '' : await res.body.text();
    if (method === 'HEAD') await res.body.dump();
    return { status: res.statusCode, headers: res.headers, body: text };
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
