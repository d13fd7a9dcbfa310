/**
 * User input quoted in error messages, bounded: a 10 MiB dataset name copied into a gRPC status
 * would exceed the metadata limit and reach the client as RESOURCE_EXHAUSTED instead of the error.
 */
export const MAX_QUOTED_CHARS = 200;

/** JSON-quoted, cut to MAX_QUOTED_CHARS characters with the original length said. */
export function quote(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  if (s.length <= MAX_QUOTED_CHARS) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, MAX_QUOTED_CHARS))}… (${s.length} characters)`;
}
