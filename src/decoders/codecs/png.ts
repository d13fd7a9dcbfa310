/**
 * PNG payloads (GRIB2 template 5.41) through fast-png: grey 8/16-bit samples, or 24/32-bit
 * values stored as RGB(A) bytes, which are recombined big-endian.
 */
import { decode } from 'fast-png';

export function decodePng(bytes: Uint8Array): Float64Array {
  const img = decode(bytes);
  const n = img.width * img.height;
  const ch = img.channels;
  const data = img.data as Uint8Array | Uint16Array;
  const out = new Float64Array(n);
  if (ch === 1) {
    for (let i = 0; i < n; i++) out[i] = data[i]!;
    return out;
  }
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let c = 0; c < ch; c++) v = v * (img.depth === 16 ? 65536 : 256) + data[i * ch + c]!;
    out[i] = v;
  }
  return out;
}
