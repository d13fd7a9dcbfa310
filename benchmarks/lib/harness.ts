/**
 * Side-by-side timing of one case: every side (ours, optional variants, the reference) runs as
 * its own long-lived worker process that times itself in-process. Each side gets one warm-up
 * pass, then the passes are interleaved (ours, ref, ours, ref, ...) for `rounds` rounds, so the
 * load of this shared machine falls on both sides alike. Ratios are taken per round and summarised
 * by their median and min-max.
 */
import { JsonWorker, type Facts, type Reply } from './proc.js';
import { metric, sideStats, type CaseResult, type Metric } from './results.js';

export interface SideSpec {
  key: string;
  label: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** A reference tool (its absence makes the case n/a rather than an error). */
  reference?: boolean;
  /** Arguments passed with each pass (the worker's `run(**args)`). */
  runArgs?: Facts;
  /** Sampled right before and after each pass; the difference is added to the pass as `probe`. */
  probe?: () => number;
}

/** Any other per-round measure, from the passes of that round (keyed by side). */
export interface RoundMetricSpec {
  name: string;
  label: string;
  unit: string;
  target: number | null;
  better: 'higher' | 'lower';
  perRound: (passes: Record<string, Reply>) => number;
}

/** speed(side) / speed(reference) per round; speed = work/seconds, or 1/seconds without `work`. */
export interface RatioSpec {
  name: string;
  label: string;
  side: string;
  reference: string;
  target: number | null;
  /** Fact both sides report whose ratio per second is the speed (e.g. 'rows'); else plain time. */
  work?: string;
}

export interface CaseSpec {
  id: string;
  label: string;
  sides: SideSpec[];
  ratios: RatioSpec[];
  metrics?: RoundMetricSpec[];
  /** Sides that may be unavailable without making the case n/a (e.g. a not-yet-written variant). */
  optional?: string[];
  info?: Facts;
  passTimeoutMs?: number;
}

export type Log = (msg: string) => void;

function fmt(s: number): string {
  return s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3);
}

export async function runInterleaved(spec: CaseSpec, rounds: number, log: Log, versions: Record<string, string>): Promise<CaseResult> {
  const workers = new Map<string, JsonWorker>();
  const missing = new Map<string, string>();
  const samples = new Map<string, Reply[]>();
  try {
    for (const s of spec.sides) {
      const w = await JsonWorker.start(`${spec.id}/${s.key}`, s.cmd, s.args, { env: s.env });
      if (typeof w === 'string') {
        missing.set(s.key, w);
        log(`${spec.id}: ${s.label} not available: ${w.split('\n')[0]}`);
        continue;
      }
      for (const [k, v] of Object.entries(w.versions)) if (v !== null) versions[k] = String(v);
      workers.set(s.key, w);
      samples.set(s.key, []);
    }
    const required = spec.sides.filter((s) => !spec.optional?.includes(s.key));
    const blocking = required.filter((s) => missing.has(s.key));
    if (blocking.length) {
      // A reference that cannot run here is "n/a"; our own side failing to start is an error.
      const r = naCase(spec, blocking.map((s) => `${s.label}: ${missing.get(s.key)}`).join('; '), missing);
      return blocking.some((s) => !s.reference) ? { ...r, status: 'error' } : r;
    }
    const active = spec.sides.filter((s) => workers.has(s.key));
    const pass = async (s: SideSpec): Promise<Reply> => {
      const before = s.probe?.();
      const r = await workers.get(s.key)!.run(s.runArgs, spec.passTimeoutMs);
      return before === undefined ? r : { ...r, probe: s.probe!() - before };
    };
    for (const s of active) {
      const r = await pass(s);
      log(`${spec.id}: warm-up ${s.label} ${fmt(r.seconds)} s`);
    }
    for (let round = 1; round <= rounds; round++) {
      const parts: string[] = [];
      for (const s of active) {
        const r = await pass(s);
        samples.get(s.key)!.push(r);
        parts.push(`${s.label} ${fmt(r.seconds)} s`);
      }
      log(`${spec.id}: round ${round}/${rounds}: ${parts.join(', ')}`);
    }
  } catch (e) {
    const note = e instanceof Error ? e.message : String(e);
    log(`${spec.id}: FAILED: ${note}`);
    return { ...naCase(spec, note, missing), status: 'error' };
  } finally {
    await Promise.all([...workers.values()].map((w) => w.quit()));
  }

  const sides: CaseResult['sides'] = {};
  for (const s of spec.sides) {
    const rs = samples.get(s.key);
    sides[s.key] = rs && rs.length ? sideStats(s.label, 's', rs.map((r) => r.seconds), factsOf(rs[rs.length - 1]!)) : null;
  }
  const metrics: Metric[] = spec.ratios.map((q) => {
    const a = samples.get(q.side);
    const b = samples.get(q.reference);
    if (!a?.length || !b?.length) return { ...metric(q.name, q.label, 'x', [NaN], q.target), samples: [] };
    const per = a.map((ra, i) => speed(ra, q.work) / speed(b[i]!, q.work));
    return metric(q.name, q.label, 'x', per, q.target);
  });
  for (const q of spec.metrics ?? []) {
    const per: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const passes: Record<string, Reply> = {};
      for (const [k, rs] of samples) if (rs[i]) passes[k] = rs[i]!;
      per.push(q.perRound(passes));
    }
    metrics.push(metric(q.name, q.label, q.unit, per, q.target, q.better));
  }
  const notes = [...missing].map(([k, why]) => `${spec.sides.find((s) => s.key === k)!.label}: not available (${why.split('\n')[0]})`);
  const check = workMismatch(spec, sides);
  if (check) notes.push(check);
  const passes = Object.fromEntries([...samples].map(([k, rs]) => [k, rs as Facts[]]));
  return { id: spec.id, label: spec.label, status: 'ok', note: notes.join('; ') || undefined, sides, metrics, info: spec.info, passes };
}

function speed(r: Reply, work?: string): number {
  const w = work ? Number(r[work]) : 1;
  return w / r.seconds;
}

function factsOf(r: Reply): Facts {
  const { seconds: _s, ...rest } = r;
  return rest;
}

/** Both sides must have done the same work (values decoded): say so when they did not. */
function workMismatch(spec: CaseSpec, sides: CaseResult['sides']): string | null {
  const counts = spec.sides
    .map((s) => [s.label, sides[s.key]?.facts.values] as const)
    .filter((x): x is readonly [string, number] => typeof x[1] === 'number');
  if (counts.length < 2 || counts.every(([, n]) => n === counts[0]![1])) return null;
  return `values differ: ${counts.map(([l, n]) => `${l} ${n}`).join(', ')}`;
}

function naCase(spec: CaseSpec, note: string, _missing: Map<string, string>): CaseResult {
  return {
    id: spec.id,
    label: spec.label,
    status: 'n/a',
    note,
    sides: {},
    metrics: [
      ...spec.ratios.map((q) => ({ ...metric(q.name, q.label, 'x', [NaN], q.target), samples: [] })),
      ...(spec.metrics ?? []).map((q) => ({ ...metric(q.name, q.label, q.unit, [NaN], q.target, q.better), samples: [] })),
    ],
    info: spec.info,
  };
}
