import type { FieldStats } from './types.js';

/**
 * Streaming count/min/max/mean over decoded values. The sum is compensated (Neumaier) so the
 * mean matches the reference tools' exactly-rounded sums (math.fsum) to ~1e-15 relative.
 * Infinite values count and bound min/max but stay out of the mean (reported as `inf_count`),
 * as the reference oracles do; a mean that included them would say nothing.
 */
export class StatsAccumulator {
  count = 0;
  missing = 0;
  min = Infinity;
  max = -Infinity;
  infinite = 0;
  private sum = 0;
  private comp = 0;

  /** Adds values; `validity` (optional, LSB-first, bit set = valid) marks present ones. NaN counts as missing. */
  add(values: ArrayLike<number>, validity?: Uint8Array): void {
    let { count, missing, min, max, sum, comp, infinite } = this;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v !== v || (validity !== undefined && (validity[i >> 3]! & (1 << (i & 7))) === 0)) {
        missing++;
        continue;
      }
      count++;
      if (v < min) min = v;
      if (v > max) max = v;
      if (v === Infinity || v === -Infinity) {
        infinite++;
        continue;
      }
      const t = sum + v;
      comp += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
      sum = t;
    }
    Object.assign(this, { count, missing, min, max, sum, comp, infinite });
  }

  addMissing(n: number): void {
    this.missing += n;
  }

  /** Merges another accumulator (e.g. from another batch). */
  merge(o: StatsAccumulator): void {
    this.count += o.count;
    this.missing += o.missing;
    this.infinite += o.infinite;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    const t = this.sum + o.sum;
    this.comp += (Math.abs(this.sum) >= Math.abs(o.sum) ? this.sum - t + o.sum : o.sum - t + this.sum) + o.comp;
    this.sum = t;
  }

  get mean(): number | null {
    const finite = this.count - this.infinite;
    return finite ? (this.sum + this.comp) / finite : null;
  }

  toStats(name: string, extra: Record<string, unknown> = {}): FieldStats {
    const has = this.count > 0;
    return {
      name,
      count: this.count,
      missing: this.missing,
      min: has ? this.min : null,
      max: has ? this.max : null,
      mean: this.mean,
      ...(this.infinite ? { inf_count: this.infinite } : {}),
      ...extra,
    };
  }
}
