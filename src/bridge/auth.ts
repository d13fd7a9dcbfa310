/**
 * Bearer-token authentication, the one mechanism for the Flight and HTTP servers. Tokens come
 * from a file (one per line) and/or WEKEO_AUTH_TOKENS (comma-separated). A client proves itself
 * with `authorization: Bearer <token>`; the Flight Handshake also takes HTTP Basic credentials
 * whose password is a token and answers with the bearer header (what pyarrow's
 * `authenticate_basic_token` expects). Failures all look alike (UNAUTHENTICATED / 401 with one
 * fixed message) and tokens are never echoed: an attacker learns nothing from a refusal.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The only thing a refused client is told. */
export const UNAUTHENTICATED_MESSAGE = 'unauthenticated: a valid bearer token is required';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor() {
    super(UNAUTHENTICATED_MESSAGE);
  }
}

/** A bad --auth-token-file or WEKEO_AUTH_TOKENS (said at startup, never naming a token). */
export class AuthConfigError extends Error {
  override readonly name = 'AuthConfigError';
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class AuthTokens {
  /** SHA-256 of each token: equal-length buffers, so comparisons take the same time whatever the input. */
  private readonly digests: Buffer[];

  constructor(tokens: Iterable<string>) {
    this.digests = [...new Set(tokens)].map(digest);
  }

  /** Tokens from a file (blank and `#` lines ignored) and a comma-separated env value; none means auth is off. */
  static load(opts: { file?: string; env?: string }): AuthTokens {
    const tokens: string[] = [];
    if (opts.file !== undefined) {
      let text: string;
      try {
        text = readFileSync(opts.file, 'utf8');
      } catch (e) {
        throw new AuthConfigError(`--auth-token-file: cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      const fromFile = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      if (fromFile.length === 0) throw new AuthConfigError('--auth-token-file holds no tokens (one per line; blank and # lines are ignored)');
      tokens.push(...fromFile);
    }
    if (opts.env !== undefined && opts.env.trim() !== '') tokens.push(...opts.env.split(',').map((t) => t.trim()).filter(Boolean));
    for (const t of tokens) if (/\s/.test(t)) throw new AuthConfigError('auth tokens must not contain whitespace');
    return new AuthTokens(tokens);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  get size(): number {
    return this.digests.length;
  }

  /** Constant time in the candidate and in which token matches: every token is compared. */
  valid(candidate: string | undefined): boolean {
    if (candidate === undefined || candidate === '') return false;
    const d = digest(candidate);
    let ok = false;
    for (const t of this.digests) ok = timingSafeEqual(d, t) || ok;
    return ok;
  }

  /** True when auth is off or the `authorization` header carries a valid bearer token. */
  allows(authorization: string | undefined): boolean {
    return !this.enabled || this.valid(bearerToken(authorization));
  }

  /**
   * The token a Flight Handshake authenticates with: a bearer header, or Basic credentials whose
   * password is a token (the user name is not checked: tokens identify clients on their own).
   */
  handshakeToken(authorization: string | undefined): string | undefined {
    const t = bearerToken(authorization) ?? basicPassword(authorization);
    return this.valid(t) ? t : undefined;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

export function basicPassword(header: string | undefined): string | undefined {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** HTTP paths served without a token: load balancers and orchestrators probe them (status only, no data). */
export const PUBLIC_HTTP_PATHS: ReadonlySet<string> = new Set(['/healthz']);

/**
 * HTTP: the bearer header, or `?token=` for a browser, or the cookie a `?token=` request set
 * (`setCookie`): a page opened with `?token=` then loads its images (the catalog page's
 * quicklooks) without the token in every URL. The token parameter is removed from the URL the
 * handlers (and request logs) see: `url` is the request path without it.
 */
export function authorizeHttp(tokens: AuthTokens, url: string, authorization: string | undefined, cookie?: string): { ok: boolean; url: string; setCookie?: string } {
  const u = new URL(url, 'http://bridge');
  const fromQuery = u.searchParams.get('token') ?? undefined;
  if (u.searchParams.has('token')) u.searchParams.delete('token');
  const clean = `${u.pathname}${u.search}`;
  if (!tokens.enabled || PUBLIC_HTTP_PATHS.has(u.pathname)) return { ok: true, url: clean };
  const bearer = bearerToken(authorization);
  if (bearer !== undefined || fromQuery !== undefined) {
    const candidate = bearer ?? fromQuery;
    const ok = tokens.valid(candidate);
    return { ok, url: clean, ...(ok && bearer === undefined && fromQuery !== undefined ? { setCookie: fromQuery } : {}) };
  }
  return { ok: tokens.valid(cookieToken(cookie)), url: clean };
}

/** Name of the cookie that carries a browser's token after a `?token=` request. */
export const TOKEN_COOKIE = 'wekeo_token';

/** The Set-Cookie value for a token given as `?token=`: HttpOnly, this site only, whole bridge. */
export function tokenCookie(token: string, secure: boolean): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Loopback addresses a server may bind to without authentication. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}
