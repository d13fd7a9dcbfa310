/** What a suite is to the runner (`benchmarks/lib/main.ts`). */
import type { Log } from './harness.js';
import type { CaseResult } from './results.js';

export interface SuiteOptions {
  rounds: number;
  /** Whether --rounds was given (suites with long passes default to fewer rounds). */
  roundsGiven: boolean;
  /** Case filters (substrings of case ids); empty = every case. */
  filter: string[];
  /** Upper bound of input size for the scaling suite. */
  maxGb: number;
  log: Log;
  /** Library versions seen while running (workers report theirs); recorded in the results. */
  versions: Record<string, string>;
}

export interface SuiteOutput {
  cases: CaseResult[];
  notes: string[];
  /** Rounds actually run, when the suite chose another number than --rounds. */
  rounds?: number;
}

export interface Suite {
  name: string;
  title: string;
  description: string;
  run(opts: SuiteOptions): Promise<SuiteOutput>;
}

/** A case runs when there is no filter, or every '-'-separated part of some filter is in its id ("grib-simple" matches grib1-simple and grib2-simple). */
export function selected(opts: SuiteOptions, id: string): boolean {
  return opts.filter.length === 0 || opts.filter.some((f) => f.split('-').every((part) => id.includes(part)));
}

export function noMatch(ids: string[]): SuiteOutput {
  return { cases: [], notes: [`no case matched the filter; cases: ${ids.join(', ')}`] };
}
