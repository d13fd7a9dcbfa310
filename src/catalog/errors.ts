/** Typed catalog failures, so every transport maps them to the same status. */

export class DatasetNotFoundError extends Error {
  override readonly name = 'DatasetNotFoundError';
}

/** A ticket or request names a file outside its dataset (path traversal): refused. */
export class CatalogAccessError extends Error {
  override readonly name = 'CatalogAccessError';
}
