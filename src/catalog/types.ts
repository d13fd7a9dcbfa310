/**
 * Where datasets come from. A dataset is a set of files; a source lists its datasets and turns a
 * query into the files that may hold matching data. Every file has a stable `key` that goes into
 * Flight tickets, so any bridge instance with the same catalog can resolve it again (Spark may
 * retry or speculate a task on another executor).
 */
export type BBox = [west: number, south: number, east: number, north: number];

export interface DatasetQuery {
  bbox?: BBox;
  /** Inclusive time range. */
  start?: Date;
  end?: Date;
  variables?: string[];
  /** Source-specific filters (e.g. HDA queryables), passed through as given. */
  filters?: Record<string, string>;
}

export interface DatasetInfo {
  name: string;
  description: string;
  /** "local" for catalog folders, "hda" for WEkEO HDA datasets. */
  source: string;
}

/** One variable group of a dataset, as listed to clients (ListFlights app_metadata, GET /datasets/{id}). */
export interface GroupSummary {
  /** What a query's "group" (or PATH [dataset, group]) names. */
  id: string;
  /** GRIB typeOfLevel, when the group has one. */
  levelType?: string;
  grid: { kind: string; ny: number; nx: number; crs?: string };
  variables: string[];
  /** Files of the dataset holding the group. */
  files: number;
  /** Whether rows carry lat/lon (false: the array layout, found by name only, never by bbox). */
  positioned: boolean;
}

export interface DatasetFile {
  /** Stable identifier of the file within its dataset (relative path, HDA product id, ...). */
  key: string;
  /** Local path a decoder can open. */
  path: string;
}

export interface DatasetSource {
  readonly kind: string;
  list(): Promise<DatasetInfo[]>;
  has(dataset: string): Promise<boolean>;
  /** Files that may hold data matching the query (remote sources download or take from cache). */
  files(dataset: string, query: DatasetQuery): Promise<DatasetFile[]>;
  /** Local path of one file by key, as found in a ticket (downloads again if evicted). */
  resolve(dataset: string, key: string): Promise<string>;
  /** Drops any listing state the source keeps, so the next list() sees the current datasets. */
  refresh?(): Promise<void>;
}
