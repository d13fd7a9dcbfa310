/**
 * The shape of a suite's results (`benchmarks/results/<suite>.json`) and the statistics over
 * repeated passes. The Markdown table and the chart are both made from this file, so a results
 * file alone is enough to regenerate them.
 */
import type { Facts } from './proc.js';

/** Median and spread of one side's timed passes. */
export interface SideStats {
  label: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  samples: number[];
  /** What the side reported on its last pass (values decoded, rows, bytes, ...). */
  facts: Facts;
}

export interface Metric {
  name: string;
  label: string;
  /** 'x' for ratios (ours/reference), else a unit such as 'MiB' or 's/GB'. */
  unit: string;
  value: number;
  min: number;
  max: number;
  samples: number[];
  target: number | null;
  /** Direction of the target: 'higher' means value >= target passes. */
  better: 'higher' | 'lower';
  met: boolean | null;
}

export interface CaseResult {
  id: string;
  label: string;
  status: 'ok' | 'n/a' | 'error';
  note?: string;
  sides: Record<string, SideStats | null>;
  metrics: Metric[];
  info?: Facts;
  /** Every timed pass as the side reported it (round order), for suites that derive more from them. */
  passes?: Record<string, Facts[]>;
  /** Set on a case kept from an earlier run when only some cases were re-run: its date and revision. */
  measured?: string;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  loadAverage: number[];
}

export interface SuiteResult {
  suite: string;
  title: string;
  description: string;
  date: string;
  durationSeconds: number;
  rounds: number;
  machine: MachineInfo;
  versions: Record<string, string>;
  notes: string[];
  cases: CaseResult[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

export function sideStats(label: string, unit: string, samples: number[], facts: Facts = {}): SideStats {
  return { label, unit, median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples, facts };
}

export function metric(
  name: string,
  label: string,
  unit: string,
  samples: number[],
  target: number | null,
  better: 'higher' | 'lower' = 'higher',
): Metric {
  const value = median(samples);
  const met = target === null || !Number.isFinite(value) ? null : better === 'higher' ? value >= target : value <= target;
  return { name, label, unit, value, min: Math.min(...samples), max: Math.max(...samples), samples, target, better, met };
}

/** A case whose reference or our side cannot run here: recorded, not fatal. */
export function unavailable(id: string, label: string, note: string, metrics: Array<Pick<Metric, 'name' | 'label' | 'unit' | 'target' | 'better'>> = []): CaseResult {
  return {
    id,
    label,
    status: 'n/a',
    note,
    sides: {},
    metrics: metrics.map((m) => ({ ...m, value: NaN, min: NaN, max: NaN, samples: [], met: null })),
  };
}
