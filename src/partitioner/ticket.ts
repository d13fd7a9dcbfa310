/**
 * Flight tickets: a self-contained, signed description of one partition.
 *
 * A ticket carries everything needed to serve its slice (dataset, file key, group, variables,
 * index window and the query's exact filters), so any bridge instance that has the same catalog
 * and the same secret can serve it, and Spark can retry or speculate a task anywhere. The HMAC
 * stops clients from forging tickets that name files or windows the planner never produced.
 * Clients must treat the bytes as opaque.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BBox } from '../catalog/types.js';
import type { ColumnSpec, IndexRange } from '../decoders/types.js';
import type { Partition } from './plan.js';

export interface TicketBody {
  v: 1;
  dataset: string;
  fileKey: string;
  group: string;
  variables: string[];
  time: IndexRange;
  level: IndexRange;
  y: IndexRange;
  x: IndexRange;
  /** Exact row filters applied after decoding (the window is a superset). */
  bbox?: BBox;
  startUs?: number;
  endUs?: number;
  /** Tiles layout chip shape [h, w]; absent for the points layout. */
  tile?: [number, number];
  /**
   * A query over several variable groups: the union schema every partition streams (its own
   * group's columns widened with nulls) and the ids of the groups in it; absent for one group.
   */
  columns?: ColumnSpec[];
  groups?: string[];
  /** Names of the output columns to send (absent = all), and exact level/member row filters. */
  send?: string[];
  levels?: { min?: number; max?: number } | number[];
  numbers?: number[];
}

const PREFIX = 'wkb1.';

export class TicketError extends Error {
  override readonly name = 'TicketError';
}

export class TicketCodec {
  private readonly key: Buffer;

  /** `secret` shared by all instances that should accept each other's tickets; random when omitted. */
  constructor(secret?: string) {
    this.key = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  encode(body: TicketBody): Buffer {
    const payload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
    const mac = this.mac(payload);
    return Buffer.from(`${PREFIX}${payload}.${mac}`, 'utf8');
  }

  decode(bytes: Uint8Array): TicketBody {
    const text = Buffer.from(bytes).toString('utf8');
    if (!text.startsWith(PREFIX)) throw new TicketError('not a wekeo-bridge ticket');
    const dot = text.lastIndexOf('.');
    const payload = text.slice(PREFIX.length, dot);
    const mac = text.slice(dot + 1);
    const expected = Buffer.from(this.mac(payload));
    const got = Buffer.from(mac);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new TicketError('ticket signature does not match (issued by a bridge with another secret, or altered)');
    }
    let body: TicketBody;
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TicketBody;
    } catch {
      throw new TicketError('ticket payload is not valid JSON');
    }
    if (body.v !== 1) throw new TicketError(`unsupported ticket version ${String(body.v)}`);
    checkBody(body);
    return body;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

/**
 * A signed ticket was made by a bridge, but maybe by another version or from a hand-made body
 * signed with a leaked secret: its shape is checked so nothing downstream dereferences a null.
 */
function checkBody(b: TicketBody): void {
  const bad = (what: string) => new TicketError(`ticket field "${what}" is missing or malformed`);
  for (const k of ['dataset', 'fileKey', 'group'] as const) if (typeof b[k] !== 'string' || !b[k]) throw bad(k);
  if (!Array.isArray(b.variables) || b.variables.length === 0 || b.variables.some((v) => typeof v !== 'string' || !v)) throw bad('variables');
  for (const k of ['time', 'level', 'y', 'x'] as const) {
    const r = b[k];
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => Number.isInteger(v) && v >= 0) || r[0] > r[1]) throw bad(k);
  }
  if (b.bbox !== undefined && (!Array.isArray(b.bbox) || b.bbox.length !== 4 || !b.bbox.every((v) => typeof v === 'number' && Number.isFinite(v)))) throw bad('bbox');
  for (const k of ['startUs', 'endUs'] as const) if (b[k] !== undefined && !Number.isFinite(b[k])) throw bad(k);
  if (b.columns !== undefined && (!Array.isArray(b.columns) || b.columns.some((c) => !c || typeof c.name !== 'string' || typeof c.type !== 'string'))) throw bad('columns');
  if (b.groups !== undefined && (!Array.isArray(b.groups) || b.groups.some((g) => typeof g !== 'string'))) throw bad('groups');
  if (b.tile !== undefined && (!Array.isArray(b.tile) || b.tile.length !== 2 || !b.tile.every((v) => Number.isInteger(v) && v > 0))) throw bad('tile');
  if (b.send !== undefined && (!Array.isArray(b.send) || b.send.some((v) => typeof v !== 'string'))) throw bad('send');
  if (b.numbers !== undefined && (!Array.isArray(b.numbers) || !b.numbers.every(Number.isInteger))) throw bad('numbers');
  if (b.levels !== undefined && (typeof b.levels !== 'object' || b.levels === null)) throw bad('levels');
}

export function ticketFor(dataset: string, p: Partition, filters: Pick<TicketBody, 'bbox' | 'startUs' | 'endUs' | 'tile' | 'columns' | 'groups' | 'send' | 'levels' | 'numbers'>): TicketBody {
  const body: TicketBody = {
    v: 1,
    dataset,
    fileKey: p.fileKey,
    group: p.group,
    variables: p.variables,
    time: p.time,
    level: p.level,
    y: p.y,
    x: p.x,
  };
  if (filters.bbox) body.bbox = filters.bbox;
  if (filters.startUs !== undefined) body.startUs = filters.startUs;
  if (filters.endUs !== undefined) body.endUs = filters.endUs;
  if (filters.tile) body.tile = filters.tile;
  if (filters.columns) body.columns = filters.columns;
  if (filters.groups) body.groups = filters.groups;
  if (filters.send) body.send = filters.send;
  if (filters.levels) body.levels = filters.levels;
  if (filters.numbers) body.numbers = filters.numbers;
  return body;
}
