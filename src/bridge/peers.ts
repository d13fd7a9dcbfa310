/**
 * Scale-out: the bridges that share one catalog and one ticket secret, and which of them should
 * serve each partition. Every instance is given the same list (itself included), so every
 * instance plans the same endpoints with the same locations: the partition's owner by
 * rendezvous hashing first (its decoded-data cache stays hot there), then the others as
 * fallbacks. Peers are health-checked with a cheap Flight call; one that fails two checks in a
 * row moves to the end of every list until it answers again, so clients try live bridges first.
 */
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { rendezvousOrder } from '../partitioner/rendezvous.js';
import { quote } from '../text/quote.js';

/** Between health checks of each peer; a stopped peer is at the end of plans within this. */
export const HEALTH_INTERVAL_MS = 2000;
/** A check that gets no answer within this fails. */
export const HEALTH_TIMEOUT_MS = 1000;
/** Consecutive failed checks that make a peer down: one slow answer on a busy host does not reorder every plan. */
export const FAILURES_FOR_DOWN = 2;

export class PeerConfigError extends Error {
  override readonly name = 'PeerConfigError';
}

export interface PeerStatus {
  uri: string;
  self: boolean;
  up: boolean;
  /** Date.now() of the last finished check; absent before the first one (and for self). */
  checkedAt?: number;
  /** Why the last check failed. */
  error?: string;
}

export interface PeerSetOptions {
  /** Peer URIs as given with --peers; ignored when `file` is set. */
  peers?: readonly string[];
  /** A file of peer URIs, one a line (blank lines and # comments skipped), re-read by reloadPeers. */
  file?: string;
  intervalMs?: number;
  timeoutMs?: number;
  /** PEM roots trusted when checking grpc+tls:// peers (default: the system's). */
  tlsRoots?: Buffer;
}

interface Peer {
  uri: string;
  self: boolean;
  up: boolean;
  checkedAt?: number;
  error?: string;
  failures: number;
  client?: grpc.Client;
}

/**
 * gRPC codes that mean "nobody answered"; any other status is a live bridge (UNAUTHENTICATED
 * too: health checks carry no token, and a bridge that refuses one is up).
 */
const DOWN_CODES = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

export class PeerSet {
  private peers: Peer[] = [];
  private names: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  readonly self: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;

  /** `self` is this bridge's advertised location, as the other instances' lists spell it. */
  constructor(
    self: string,
    private readonly opts: PeerSetOptions,
  ) {
    this.self = normalizeUri(self, 'this bridge’s location');
    this.intervalMs = opts.intervalMs ?? HEALTH_INTERVAL_MS;
    this.timeoutMs = opts.timeoutMs ?? HEALTH_TIMEOUT_MS;
    if (!opts.file) this.setList(opts.peers ?? []);
  }

  /** Reads the peers file (if any), runs a first health check and starts the periodic ones. */
  async start(): Promise<void> {
    if (this.opts.file) await this.reloadPeers();
    await this.checkNow();
    this.timer ??= setInterval(() => {
      if (!this.checking) void this.checkNow();
    }, this.intervalMs);
    this.timer.unref();
  }

  /**
   * Re-reads the peers file (the `refresh-catalog` action calls this). A file that cannot be read
   * or holds a bad URI leaves the current list in place and throws a PeerConfigError naming it.
   * Without a peers file the list is fixed and this does nothing.
   */
  async reloadPeers(): Promise<void> {
    if (!this.opts.file) return;
    let text: string;
    try {
      text = await readFile(this.opts.file, 'utf8');
    } catch (e) {
      throw new PeerConfigError(`cannot read the peers file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    this.setList(parsePeerList(text, 'the peers file'));
    await this.checkNow();
  }

  /** Whether this bridge is in its own list (if not, it plans for the others but owns nothing). */
  get includesSelf(): boolean {
    return this.peers.some((p) => p.self);
  }

  /**
   * Locations for one partition: live peers in rendezvous order of `key` (the owner first), then
   * the peers that are down, in the same order.
   */
  locationsFor(key: string): string[] {
    if (this.peers.length === 0) return [this.self];
    const order = rendezvousOrder(key, this.names).map((i) => this.peers[i]!);
    return [...order.filter((p) => p.up), ...order.filter((p) => !p.up)].map((p) => p.uri);
  }

  status(): PeerStatus[] {
    return this.peers.map(({ uri, self, up, checkedAt, error }) => ({ uri, self, up, ...(checkedAt !== undefined ? { checkedAt } : {}), ...(error ? { error } : {}) }));
  }

  /** A fresh round of health checks of every other peer, after the one in progress (rounds never overlap). */
  checkNow(): Promise<void> {
    const round = (this.checking ?? Promise.resolve()).then(() => Promise.all(this.peers.filter((p) => !p.self).map((p) => this.check(p)))).then(() => {
      if (this.checking === round) this.checking = undefined;
    });
    this.checking = round;
    return round;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const p of this.peers) p.client?.close();
  }

  private setList(uris: readonly string[]): void {
    const old = new Map(this.peers.map((p) => [p.uri, p]));
    const seen = new Set<string>();
    const next: Peer[] = [];
    for (const raw of uris) {
      const uri = normalizeUri(raw, 'a peer');
      if (seen.has(uri)) continue;
      seen.add(uri);
      // A peer already known keeps its channel and health; a new one counts as up until checked.
      next.push(old.get(uri) ?? { uri, self: uri === this.self, up: true, failures: 0 });
    }
    for (const p of this.peers) if (!seen.has(p.uri)) p.client?.close();
    this.peers = next;
    this.names = next.map((p) => p.uri);
  }

  private check(p: Peer): Promise<void> {
    if (!p.client) {
      const credentials = p.uri.startsWith('grpc+tls://') ? grpc.credentials.createSsl(this.opts.tlsRoots ?? null) : grpc.credentials.createInsecure();
      p.client = new grpc.Client(p.uri.replace(/^grpc(\+tcp|\+tls)?:\/\//, ''), credentials, {
        // A restarted peer is seen on the next check, not after grpc's default backoff (up to 2 min).
        'grpc.initial_reconnect_backoff_ms': Math.min(1000, this.intervalMs),
        'grpc.max_reconnect_backoff_ms': this.intervalMs,
      });
    }
    const client = p.client;
    return new Promise<void>((resolve) => {
      let settled = false;
      const done = (err: grpc.ServiceError | undefined) => {
        // grpc-js may emit 'end' after 'error': the first outcome counts.
        if (settled) return;
        settled = true;
        if (p.client !== client) return resolve(); // removed from the list meanwhile
        p.checkedAt = Date.now();
        const failed = err !== undefined && DOWN_CODES.has(err.code);
        p.failures = failed ? p.failures + 1 : 0;
        p.up = p.failures < FAILURES_FOR_DOWN;
        p.error = failed ? err.details || grpc.status[err.code] : undefined;
        resolve();
      };
      const call = client.makeServerStreamRequest<Buffer, Buffer>(
        '/arrow.flight.protocol.FlightService/ListActions',
        (b) => b,
        (b) => b,
        Buffer.alloc(0),
        { deadline: Date.now() + this.timeoutMs },
      );
      call.on('data', () => {});
      call.on('error', (e: grpc.ServiceError) => done(e));
      call.on('end', () => done(undefined));
    });
  }
}

/** Peer URIs from --peers (comma-separated) or a peers file (one a line, # comments). */
export function parsePeerList(text: string, what: string): string[] {
  const uris = text
    .split(/[,\n]/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  for (const u of uris) normalizeUri(u, `an entry of ${what}`);
  return uris;
}

/**
 * The one spelling of a location: grpc+tcp:// written grpc://, host lower-cased, no trailing
 * slash. Self is recognised by comparing these, so lists may use either plaintext scheme.
 */
export function normalizeUri(uri: string, what: string): string {
  const m = /^grpc(\+tcp|\+tls)?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(uri.trim());
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) {
    throw new PeerConfigError(`${what} must be a location like grpc://host:8815 or grpc+tls://host:8815, got ${quote(uri)}`);
  }
  return `${m[1] === '+tls' ? 'grpc+tls' : 'grpc'}://${m[2]!.toLowerCase()}:${Number(m[3])}`;
}
