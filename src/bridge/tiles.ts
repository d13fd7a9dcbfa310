/**
 * The tiles layout, for ML consumers: one row per spatial chip of `h × w` grid cells (per time and
 * level) instead of one row per cell. Each variable becomes a fixed-size list<float32> holding
 * the chip's cells in row-major order (grid row order as stored). Missing cells and the padding
 * of chips cut by the grid edge are NaN, so every chip is a dense tensor of one shape.
 *
 * Chips are anchored at the grid origin (cell 0,0), never at the query window, so a given chip has
 * the same `tile_y`/`tile_x` and contents whatever bbox selected it; a bbox selects the chips that
 * intersect it.
 */
import type { ColumnBatch, ColumnData, ColumnSpec, IndexRange } from '../decoders/types.js';

export interface TileShape {
  h: number;
  w: number;
}

export const DEFAULT_TILE: TileShape = { h: 64, w: 64 };
/** Largest chip accepted (cells): bigger chips would make single rows of tens of MiB. */
export const MAX_TILE_CELLS = 1 << 20;

/** Output columns of the tiles layout for a points-layout column list. */
export function tileColumns(points: ColumnSpec[], variables: string[], tile: TileShape): ColumnSpec[] {
  const has = (n: string) => points.some((c) => c.name === n);
  const cols: ColumnSpec[] = [];
  if (has('time')) cols.push(points.find((c) => c.name === 'time')!);
  if (has('level')) cols.push(points.find((c) => c.name === 'level')!);
  cols.push(
    { name: 'tile_y', type: 'int32', nullable: false, metadata: { description: 'first grid row of the chip' } },
    { name: 'tile_x', type: 'int32', nullable: false, metadata: { description: 'first grid column of the chip' } },
    { name: 'lat_min', type: 'float64', nullable: false },
    { name: 'lat_max', type: 'float64', nullable: false },
    { name: 'lon_min', type: 'float64', nullable: false },
    { name: 'lon_max', type: 'float64', nullable: false },
  );
  for (const v of variables) {
    const spec = points.find((c) => c.name === v)!;
    cols.push({
      name: v,
      type: 'float32_list',
      listSize: tile.h * tile.w,
      nullable: false,
      metadata: { ...(spec.metadata ?? {}), shape: `${tile.h},${tile.w}`, missing: 'NaN' },
    });
  }
  return cols;
}

/**
 * Re-shapes a stream of points-layout batches covering one window (C order over time, level,
 * y, x) into chip rows. Feed batches with `push`; each completed (time, level) slab yields a
 * batch of chips.
 */
export class TileAssembler {
  private readonly ny: number;
  private readonly nx: number;
  private readonly slab: number;
  private filled = 0;
  private readonly values: Float32Array[];
  private readonly lat: Float64Array;
  private readonly lon: Float64Array;
  private slabTime: bigint = 0n;
  private slabLevel = NaN;

  constructor(
    private readonly points: ColumnSpec[],
    private readonly variables: string[],
    private readonly tile: TileShape,
    private readonly y: IndexRange,
    private readonly x: IndexRange,
  ) {
    this.ny = y[1] - y[0];
    this.nx = x[1] - x[0];
    this.slab = this.ny * this.nx;
    this.values = variables.map(() => new Float32Array(this.slab));
    this.lat = new Float64Array(this.slab);
    this.lon = new Float64Array(this.slab);
  }

  *push(batch: ColumnBatch): Generator<ColumnBatch> {
    const col = (name: string): ColumnData | undefined => batch.columns.find((c) => c.name === name);
    const time = col('time')?.values as BigInt64Array | undefined;
    const level = col('level')?.values as Float64Array | undefined;
    const lat = col('lat')!.values as Float64Array;
    const lon = col('lon')!.values as Float64Array;
    const vars = this.variables.map((v) => col(v)!);
    let row = 0;
    while (row < batch.numRows) {
      if (this.filled === 0) {
        this.slabTime = time ? time[row]! : 0n;
        this.slabLevel = level ? level[row]! : NaN;
      }
      const take = Math.min(this.slab - this.filled, batch.numRows - row);
      this.lat.set(lat.subarray(row, row + take), this.filled);
      this.lon.set(lon.subarray(row, row + take), this.filled);
      vars.forEach((c, k) => {
        const out = this.values[k]!;
        const src = c.values as Float32Array | Float64Array;
        out.set(src.subarray(row, row + take), this.filled);
        if (c.validity && c.nullCount > 0) {
          for (let i = 0; i < take; i++) {
            const j = row + i;
            if (!(c.validity[j >> 3]! & (1 << (j & 7)))) out[this.filled + i] = NaN;
          }
        }
      });
      this.filled += take;
      row += take;
      if (this.filled === this.slab) {
        yield this.emit();
        this.filled = 0;
      }
    }
  }

  /** Call after the last batch: a partial slab means the decoder returned fewer rows than planned. */
  finish(): void {
    if (this.filled !== 0) throw new Error(`tiles layout: window ended after ${this.filled} of ${this.slab} cells of a slab`);
  }

  private emit(): ColumnBatch {
    const { h, w } = this.tile;
    const ty = Math.ceil(this.ny / h);
    const tx = Math.ceil(this.nx / w);
    const n = ty * tx;
    const cells = h * w;
    const tileY = new Int32Array(n), tileX = new Int32Array(n);
    const latMin = new Float64Array(n), latMax = new Float64Array(n), lonMin = new Float64Array(n), lonMax = new Float64Array(n);
    const lists = this.variables.map(() => new Float32Array(n * cells).fill(NaN));
    let r = 0;
    for (let cy = 0; cy < ty; cy++) {
      for (let cx = 0; cx < tx; cx++, r++) {
        tileY[r] = this.y[0] + cy * h;
        tileX[r] = this.x[0] + cx * w;
        let a = Infinity, b = -Infinity, c = Infinity, d = -Infinity;
        const rows = Math.min(h, this.ny - cy * h);
        const colsN = Math.min(w, this.nx - cx * w);
        for (let i = 0; i < rows; i++) {
          const src = (cy * h + i) * this.nx + cx * w;
          for (let j = 0; j < colsN; j++) {
            const la = this.lat[src + j]!, lo = this.lon[src + j]!;
            if (la < a) a = la;
            if (la > b) b = la;
            if (lo < c) c = lo;
            if (lo > d) d = lo;
          }
          for (let k = 0; k < lists.length; k++) {
            lists[k]!.set(this.values[k]!.subarray(src, src + colsN), r * cells + i * w);
          }
        }
        latMin[r] = a; latMax[r] = b; lonMin[r] = c; lonMax[r] = d;
      }
    }
    const columns: ColumnData[] = [];
    if (this.points.some((c) => c.name === 'time')) columns.push({ name: 'time', values: new BigInt64Array(n).fill(this.slabTime), nullCount: 0 });
    if (this.points.some((c) => c.name === 'level')) columns.push({ name: 'level', values: new Float64Array(n).fill(this.slabLevel), nullCount: 0 });
    columns.push(
      { name: 'tile_y', values: tileY, nullCount: 0 },
      { name: 'tile_x', values: tileX, nullCount: 0 },
      { name: 'lat_min', values: latMin, nullCount: 0 },
      { name: 'lat_max', values: latMax, nullCount: 0 },
      { name: 'lon_min', values: lonMin, nullCount: 0 },
      { name: 'lon_max', values: lonMax, nullCount: 0 },
    );
    this.variables.forEach((v, k) => columns.push({ name: v, values: lists[k]!, nullCount: 0 }));
    return { numRows: n, columns };
  }
}
