/**
 * The contract between file formats and the rest of the bridge.
 *
 * A decoder plugin turns one file into *variable groups*: sets of data variables that share the
 * same (time, level, y, x) axes and can therefore share rows. `describe` reads metadata only
 * and must be cheap (the partitioner plans from it, and it is cached); `read` decodes one window
 * of one group into column batches of plain typed arrays. Batches are plain data (not Arrow
 * objects) so a worker thread can transfer their buffers to the main thread without copying;
 * `src/arrow/batch.ts` wraps them into Arrow record batches zero-copy.
 *
 * Row order inside a window is C order over (time, level, y, x): time slowest, x fastest.
 */

export type NumericColumnType =
  | 'float32'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32';

/**
 * `timestamp_us`: microseconds since 1970-01-01T00:00:00Z in a BigInt64Array.
 * `float32_list`: fixed-size list<float32> (tiles layout); values hold numRows × listSize floats.
 * `utf8`: text (the bridge's `level_type` over several groups); values hold the UTF-8 bytes, `offsets` numRows + 1 positions.
 */
export type ColumnType = NumericColumnType | 'timestamp_us' | 'float32_list' | 'utf8';

export type ColumnValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** Elements per row, for `float32_list` columns. */
  listSize?: number;
  /** Free-form field metadata (units, long_name, GRIB level type, ...), kept in the Arrow schema. */
  metadata?: Record<string, string>;
}

export interface ColumnData {
  name: string;
  values: ColumnValues;
  /** LSB-first validity bitmap (bit set = valid), absent when nullCount is 0. */
  validity?: Uint8Array;
  nullCount: number;
  /** Start of each row's bytes in `values`, and the end (utf8 columns only). */
  offsets?: Int32Array;
}

export interface ColumnBatch {
  numRows: number;
  /** In the order of the selection: coordinate columns first, then the requested variables. */
  columns: ColumnData[];
}

export interface VariableInfo {
  name: string;
  /** Type of the decoded column (after CF scale/offset: float32 or float64). */
  type: NumericColumnType;
  units?: string;
  longName?: string;
  /** Attributes as strings, for schema metadata and `describe` output. */
  attributes: Record<string, string>;
}

/**
 * Grid geometry of a group. `rowLat`/`colLon` give the latitude extent of each y row and the
 * longitude extent of each x column, which is what the partitioner needs to prune by bbox
 * without decoding data. Grids without rectangular structure (reduced Gaussian, swaths that
 * cannot be split) use ny = 1 and nx = number of points.
 */
export interface GridInfo {
  kind: 'regular' | 'curvilinear' | 'projected' | 'gaussian' | 'reduced' | 'points' | 'array';
  ny: number;
  nx: number;
  /** [min, max] latitude of each y row (length ny; empty for 'array' grids, which have no lat/lon). */
  rowLat: Array<[number, number]>;
  /** [min, max] longitude of each x column (length nx; empty for 'array' grids). */
  colLon: Array<[number, number]>;
  /** CRS as EPSG code or PROJ/WKT text, when known. */
  crs?: string;
  /**
   * Grid rows the decoder decodes together (a GRIB field: all of them; a NetCDF-4 chunk or a
   * GeoTIFF tile: its height). The planner cuts latitude bands at multiples of it, so no block
   * is decoded once per partition.
   */
  blockRows?: number;
}

export interface VariableGroup {
  /** Stable id of the group within its file, e.g. "time,lat,lon" or "t2m@surface". */
  id: string;
  variables: VariableInfo[];
  /** Coordinate columns emitted before the variables, e.g. time, lat, lon, level. */
  coordinates: ColumnSpec[];
  /** Time axis: epoch microseconds per time index; [] when the group has no time axis. */
  times: number[];
  /** Vertical axis values; [] when the group has no vertical axis. */
  levels: number[];
  grid: GridInfo;
  /** Free-form group metadata (level type, original calendar, ...). */
  metadata?: Record<string, string>;
}

export interface FileDescription {
  path: string;
  /** e.g. "netcdf3", "netcdf4", "grib", "geotiff". */
  format: string;
  sizeBytes: number;
  groups: VariableGroup[];
  attributes: Record<string, string>;
}

/** A half-open index range [start, end). */
export type IndexRange = [number, number];

export interface ReadSelection {
  group: string;
  /** Names of the variables to decode, in output order (a subset of the group's variables). */
  variables: string[];
  /** Index ranges into the group's axes; omitted = the whole axis. */
  time?: IndexRange;
  level?: IndexRange;
  y?: IndexRange;
  x?: IndexRange;
  /** Target size of one batch in bytes (all columns together); decoders may split slabs by it. */
  maxBatchBytes?: number;
}

export interface FieldStats {
  name: string;
  count: number;
  missing: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Any further per-field facts (time, level, units, dtype, ...). */
  [extra: string]: unknown;
}

export interface InspectReport {
  format: string;
  fields: FieldStats[];
}

/**
 * A run of one field's decoded values, as `decodeAll` yields them: a field (GRIB field, NetCDF
 * variable, GeoTIFF band) comes whole or in several chunks (bounded memory); chunks of different
 * fields may interleave (a GeoTIFF row band carries every band). Values are decoded (CF/GRIB scaling applied); missing values are NaN or cleared bits of
 * `validity`.
 */
export interface DecodedChunk {
  /** Index of the field in file order. */
  field: number;
  name: string;
  values: Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
  /** LSB-first validity bitmap (bit set = valid) over `values`; absent when all are valid or NaN marks missing. */
  validity?: Uint8Array;
  /** Facts `inspect` reports for this field (time, level, units, ...); merged over its chunks. */
  info?: Record<string, unknown>;
}

/** One worker's part of a file's work units, for decoding a file on several workers. */
export interface WorkShare {
  index: number;
  count: number;
}

/** Whether work unit `unit` belongs to `share` (every unit when there is no share). */
export function inShare(unit: number, share?: WorkShare): boolean {
  return !share || unit % share.count === share.index;
}

export interface DecoderPlugin {
  /** Short format name, also used in errors and `inspect` output. */
  readonly format: string;
  /** Cheap check on the first bytes of a file (at least 512 bytes when the file has them). */
  sniff(head: Uint8Array): boolean;
  /** Metadata only: no data values are decoded. */
  describe(path: string): Promise<FileDescription>;
  /** Decodes one window of one group. Yields batches in row order. */
  read(path: string, selection: ReadSelection): AsyncIterable<ColumnBatch>;
  /**
   * Every value of every field in file order, decoded into typed arrays: the decode kernel that
   * `inspect` and the decode benchmarks measure. With `share`, only the file's own work units
   * (GRIB messages, NetCDF slabs, GeoTIFF row bands) numbered u with u % count === index, so
   * `count` workers decode one file together, each unit once.
   */
  decodeAll(path: string, share?: WorkShare): AsyncIterable<DecodedChunk>;
  /** Whole-file statistics per data variable / field / band over decoded non-missing values. */
  inspect(path: string): Promise<InspectReport>;
}
