/**
 * WEkEO HDA client configuration, compatible with the official client: `~/.hdarc` (or the file
 * named by HDA_RC) with `user:` / `password:` lines (and optionally `url:`), environment variables
 * HDA_USER, HDA_PASSWORD, HDA_URL, and explicit options. Precedence: options > environment >
 * file > defaults. Credentials are never included in errors or logs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_HDA_URL = 'https://gateway.prod.wekeo2.eu/hda-broker/';

export interface HdaConfig {
  url: string;
  user: string;
  password: string;
  /** Where the configuration came from, for messages (never the secrets themselves). */
  source: string;
}

export class HdaConfigError extends Error {
  override readonly name = 'HdaConfigError';
}

export interface ConfigOptions {
  url?: string;
  user?: string;
  password?: string;
  /** Path of the rc file; default $HDA_RC or ~/.hdarc. */
  rcPath?: string;
  env?: NodeJS.ProcessEnv;
}

/** Parses `key: value` / `key:value` lines; the value may itself contain ':' (passwords). */
export function parseRc(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const i = t.indexOf(':');
    if (i <= 0) continue;
    out[t.slice(0, i).trim().toLowerCase()] = t.slice(i + 1).trim();
  }
  return out;
}

export function rcPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.HDA_RC || join(homedir(), '.hdarc');
}

/** Resolves the configuration; throws when user or password is missing. */
export function loadConfig(opts: ConfigOptions = {}): HdaConfig {
  const c = tryLoadConfig(opts);
  if (!c) {
    throw new HdaConfigError(
      `WEkEO credentials missing: set user and password in ${opts.rcPath ?? rcPath(opts.env)} ("user: NAME" and "password: SECRET" lines), or HDA_USER/HDA_PASSWORD, or --user/--password`,
    );
  }
  return c;
}

/**
 * Like loadConfig, but returns null when no credentials are configured (the bridge then serves
 * local data only). A variable that is set but empty is an error, not a silent fall-back to the
 * file: `HDA_USER= wekeo ...` usually means a broken export, not "use ~/.hdarc".
 */
export function tryLoadConfig(opts: ConfigOptions = {}): HdaConfig | null {
  const env = opts.env ?? process.env;
  for (const name of ['HDA_USER', 'HDA_PASSWORD', 'HDA_URL'] as const) {
    if (env[name] !== undefined && env[name]!.trim() === '') {
      throw new HdaConfigError(`${name} is set but empty: give it a value, or unset it to use ${opts.rcPath ?? rcPath(env)}`);
    }
  }
  for (const [name, v] of [['--user', opts.user], ['--password', opts.password], ['--url', opts.url]] as const) {
    if (v !== undefined && v.trim() === '') throw new HdaConfigError(`${name} is empty`);
  }
  const path = opts.rcPath ?? rcPath(env);
  const file = existsSync(path) ? parseRc(readFileSync(path, 'utf8')) : {};
  const pick = (o: string | undefined, e: string | undefined, eName: string, f: string | undefined): [string | undefined, string] =>
    o ? [o, `--${eName.slice(4).toLowerCase()}`] : e ? [e, eName] : f ? [f, path] : [undefined, ''];
  const [user, userFrom] = pick(opts.user, env.HDA_USER, 'HDA_USER', file.user);
  const [password, passwordFrom] = pick(opts.password, env.HDA_PASSWORD, 'HDA_PASSWORD', file.password);
  const [url] = pick(opts.url, env.HDA_URL, 'HDA_URL', file.url);
  if (!user || !password) return null;
  return { url: normalizeUrl(url ?? DEFAULT_HDA_URL), user, password, source: describeSource(userFrom, passwordFrom, path) };
}

/** "HDA_USER/HDA_PASSWORD", "/home/x/.hdarc", or a mix ("user from HDA_USER, password from ~/.hdarc"). */
function describeSource(userFrom: string, passwordFrom: string, path: string): string {
  if (userFrom === passwordFrom) return userFrom === path ? path : userFrom;
  const env = (s: string) => s === 'HDA_USER' || s === 'HDA_PASSWORD';
  if (env(userFrom) && env(passwordFrom)) return 'HDA_USER/HDA_PASSWORD';
  if (userFrom === '--user' && passwordFrom === '--password') return '--user/--password';
  return `user from ${userFrom}, password from ${passwordFrom}`;
}

/** The broker root always ends with '/'; a base already ending in api/v1 is cut back to the root. */
export function normalizeUrl(url: string): string {
  let u = url.trim().replace(/\/+$/, '');
  u = u.replace(/\/api\/v1$/, '');
  return `${u}/`;
}
