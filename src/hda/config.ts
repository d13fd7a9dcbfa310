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

/** Like loadConfig, but returns null when no credentials are configured (the bridge then serves local data only). */
export function tryLoadConfig(opts: ConfigOptions = {}): HdaConfig | null {
  const env = opts.env ?? process.env;
  const path = opts.rcPath ?? rcPath(env);
  const file = existsSync(path) ? parseRc(readFileSync(path, 'utf8')) : {};
  const pick = (o: string | undefined, e: string | undefined, f: string | undefined): [string | undefined, string] =>
    o ? [o, 'option'] : e ? [e, 'environment'] : f ? [f, path] : [undefined, ''];
  const [user, userFrom] = pick(opts.user, env.HDA_USER, file.user);
  const [password] = pick(opts.password, env.HDA_PASSWORD, file.password);
  const [url] = pick(opts.url, env.HDA_URL, file.url);
  if (!user || !password) return null;
  return { url: normalizeUrl(url ?? DEFAULT_HDA_URL), user, password, source: userFrom };
}

/** The broker root always ends with '/'; a base already ending in api/v1 is cut back to the root. */
export function normalizeUrl(url: string): string {
  let u = url.trim().replace(/\/+$/, '');
  u = u.replace(/\/api\/v1$/, '');
  return `${u}/`;
}
