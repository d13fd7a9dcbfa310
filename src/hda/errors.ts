/** Typed HDA failures, each with a message a user can act on (never containing credentials). */

export class HdaError extends Error {
  override name = 'HdaError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export class HdaAuthError extends HdaError {
  override name = 'HdaAuthError';
}

export class HdaQuotaError extends HdaError {
  override name = 'HdaQuotaError';
}

export class HdaQueryError extends HdaError {
  override name = 'HdaQueryError';
}

/** The broker cannot be reached or keeps failing (5xx, resets) after the bounded retries. */
export class HdaUnavailableError extends HdaError {
  override name = 'HdaUnavailableError';
}

/** A query would download more products than the configured limit (--hda-max-products). */
export class HdaLimitError extends HdaError {
  override name = 'HdaLimitError';
}

/** A search matched no product: nothing to serve for that bbox/time/filters. */
export class HdaNoResultsError extends HdaError {
  override name = 'HdaNoResultsError';
}

/** A file key or product that this cache does not know (or no longer holds): plan again. */
export class HdaUnknownProductError extends HdaError {
  override name = 'HdaUnknownProductError';
}

export class HdaDownloadError extends HdaError {
  override name = 'HdaDownloadError';
}

/** The most useful text of an error body: FastAPI `detail`, OAuth `error_description`, or raw text. */
export function serverMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { detail?: unknown; error_description?: string; error?: string; title?: string };
    if (typeof j.detail === 'string') return j.detail;
    if (Array.isArray(j.detail)) return j.detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg ?? ''}`).join('; ');
    if (j.error_description) return j.error_description;
    if (j.error) return j.error;
    if (j.title) return j.title;
  } catch {
    /* not JSON */
  }
  return body.slice(0, 300) || '(empty body)';
}
