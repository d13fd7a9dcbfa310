/**
 * TIFF predictors undone in place on one decoded strip or tile, on typed arrays of the sample
 * width rather than byte by byte (geotiff.js's applyPredictor spent half of a zstd + predictor 3
 * decode in its byte loops and per-row copies).
 *
 * Predictor 2 (horizontal differencing) adds each sample to the one `stride` samples before it in
 * the same row, modulo the sample width; the block must already be in host byte order.
 * Predictor 3 (floating point, Adobe TIFF Technote 3) stores each row as byte planes, most
 * significant plane first, differenced byte-wise; undoing it accumulates the bytes and interleaves
 * the planes back into samples.
 */

/** Undoes predictor 2 on `rows` rows of `rowSamples` host-order samples each (`stride` samples per pixel). */
export function undoHorizontal(block: Uint8Array | Uint16Array | Uint32Array, rowSamples: number, rows: number, stride: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * rowSamples;
    const end = base + rowSamples;
    if (stride === 1) {
      // Sums are kept modulo 2^32 (| 0); storing into the 8/16/32-bit array reduces them further.
      let acc = block[base]! | 0;
      for (let i = base + 1; i < end; i++) block[i] = acc = (acc + block[i]!) | 0;
    } else {
      for (let i = base + stride; i < end; i++) block[i] = block[i]! + block[i - stride]!;
    }
  }
}

let planes = new Uint8Array(0);
let rowWords = new Uint32Array(0);

/**
 * Undoes predictor 3 on `rows` rows of `rowSamples` samples of `bytes` bytes each, leaving
 * host-order (little-endian) samples. The planes are most significant first whatever the file's
 * byte order (libtiff and GDAL 3.10 write and read big-endian files so; GDAL 3.6 wrote them with
 * the planes reversed and cannot read its own output back).
 */
export function undoFloatingPoint(block: Uint8Array, rowSamples: number, rows: number, stride: number, bytes: number): void {
  const rowBytes = rowSamples * bytes;
  if (stride === 1 && (bytes === 4 || bytes === 8) && rowSamples % 4 === 0 && (block.byteOffset & 3) === 0) {
    if (rowWords.length < rowSamples * (bytes >> 2)) rowWords = new Uint32Array(rowSamples * (bytes >> 2));
    const words = new Uint32Array(block.buffer, block.byteOffset, (rows * rowBytes) >> 2);
    if (bytes === 4) float32Rows(words, rowSamples, rows, rowWords);
    else float64Rows(words, rowSamples, rows, rowWords);
    return;
  }
  if (planes.length < rowBytes) planes = new Uint8Array(rowBytes);
  const p = planes;
  const words = bytes === 4 || bytes === 8 ? new Uint32Array(block.buffer, block.byteOffset, (block.byteOffset & 3) === 0 ? block.length >> 2 : 0) : null;
  for (let r = 0; r < rows; r++) {
    const base = r * rowBytes;
    // Byte-wise accumulation across the whole row (all planes), into the scratch row.
    if (stride === 1) {
      let acc = 0;
      for (let i = 0; i < rowBytes; i++) p[i] = acc = (acc + block[base + i]!) & 255;
    } else {
      for (let i = 0; i < stride && i < rowBytes; i++) p[i] = block[base + i]!;
      for (let i = stride; i < rowBytes; i++) p[i] = (p[i - stride]! + block[base + i]!) & 255;
    }
    interleave(block, words, p, base, rowSamples, bytes);
  }
}

/** Sum (mod 256 is all that matters) of the bytes of words [from, from + count). */
function byteSum(w: Uint32Array, from: number, count: number): number {
  let s = 0;
  for (let i = from, end = from + count; i < end; i++) {
    const x = w[i]!;
    s += (x & 255) + ((x >>> 8) & 255) + ((x >>> 16) & 255) + (x >>> 24);
  }
  return s;
}

/*
 * Single-sample rows, read a word (4 bytes of a plane) at a time. The accumulation runs across
 * the whole row, plane after plane, so each plane's running sum starts from the sum of all bytes
 * of the planes before it; with those start values the planes are accumulated side by side and
 * each sample is assembled as soon as its bytes are known, in one pass.
 */
function float32Rows(w: Uint32Array, n: number, rows: number, out: Uint32Array): void {
  const q = n >> 2;
  for (let r = 0; r < rows; r++) {
    const b0 = r * n, b1 = b0 + q, b2 = b1 + q, b3 = b2 + q;
    let a0 = 0;
    let a1 = byteSum(w, b0, q);
    let a2 = a1 + byteSum(w, b1, q);
    let a3 = a2 + byteSum(w, b2, q);
    for (let i = 0, o = 0; i < q; i++) {
      const x0 = w[b0 + i]!, x1 = w[b1 + i]!, x2 = w[b2 + i]!, x3 = w[b3 + i]!;
      for (let k = 0; k < 32; k += 8) {
        a0 += (x0 >>> k) & 255;
        a1 += (x1 >>> k) & 255;
        a2 += (x2 >>> k) & 255;
        a3 += (x3 >>> k) & 255;
        out[o++] = ((a0 & 255) << 24) | ((a1 & 255) << 16) | ((a2 & 255) << 8) | (a3 & 255);
      }
    }
    w.set(out.subarray(0, n), b0);
  }
}

function float64Rows(w: Uint32Array, n: number, rows: number, out: Uint32Array): void {
  const q = n >> 2;
  for (let r = 0; r < rows; r++) {
    const b0 = r * 2 * n, b1 = b0 + q, b2 = b1 + q, b3 = b2 + q, b4 = b3 + q, b5 = b4 + q, b6 = b5 + q, b7 = b6 + q;
    let a0 = 0;
    let a1 = byteSum(w, b0, q);
    let a2 = a1 + byteSum(w, b1, q);
    let a3 = a2 + byteSum(w, b2, q);
    let a4 = a3 + byteSum(w, b3, q);
    let a5 = a4 + byteSum(w, b4, q);
    let a6 = a5 + byteSum(w, b5, q);
    let a7 = a6 + byteSum(w, b6, q);
    for (let i = 0, o = 0; i < q; i++) {
      const x0 = w[b0 + i]!, x1 = w[b1 + i]!, x2 = w[b2 + i]!, x3 = w[b3 + i]!;
      const x4 = w[b4 + i]!, x5 = w[b5 + i]!, x6 = w[b6 + i]!, x7 = w[b7 + i]!;
      for (let k = 0; k < 32; k += 8) {
        a0 += (x0 >>> k) & 255;
        a1 += (x1 >>> k) & 255;
        a2 += (x2 >>> k) & 255;
        a3 += (x3 >>> k) & 255;
        a4 += (x4 >>> k) & 255;
        a5 += (x5 >>> k) & 255;
        a6 += (x6 >>> k) & 255;
        a7 += (x7 >>> k) & 255;
        out[o++] = ((a4 & 255) << 24) | ((a5 & 255) << 16) | ((a6 & 255) << 8) | (a7 & 255);
        out[o++] = ((a0 & 255) << 24) | ((a1 & 255) << 16) | ((a2 & 255) << 8) | (a3 & 255);
      }
    }
    w.set(out.subarray(0, 2 * n), b0);
  }
}

/** Writes the planes of one row back as samples (byte k of sample i from plane bytes-1-k, byte i). */
function interleave(block: Uint8Array, words: Uint32Array | null, p: Uint8Array, base: number, n: number, bytes: number): void {
  if (words && words.length > 0 && (base & 3) === 0) {
    const w = base >> 2;
    if (bytes === 4) {
      const n2 = n * 2, n3 = n * 3;
      for (let i = 0; i < n; i++) words[w + i] = (p[i]! << 24) | (p[n + i]! << 16) | (p[n2 + i]! << 8) | p[n3 + i]!;
      return;
    }
    const n2 = n * 2, n3 = n * 3, n4 = n * 4, n5 = n * 5, n6 = n * 6, n7 = n * 7;
    for (let i = 0, j = w; i < n; i++, j += 2) {
      words[j + 1] = (p[i]! << 24) | (p[n + i]! << 16) | (p[n2 + i]! << 8) | p[n3 + i]!;
      words[j] = (p[n4 + i]! << 24) | (p[n5 + i]! << 16) | (p[n6 + i]! << 8) | p[n7 + i]!;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < bytes; k++) block[base + i * bytes + k] = p[(bytes - 1 - k) * n + i]!;
  }
}

function bswap(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** Reverses the byte order of every `bytes`-byte sample of `block` in place (big-endian files). */
export function swapBytes(block: Uint8Array, bytes: number): void {
  const n = block.length - (block.length % bytes);
  if (bytes === 2) {
    for (let i = 0; i < n; i += 2) {
      const a = block[i]!;
      block[i] = block[i + 1]!;
      block[i + 1] = a;
    }
  } else if (bytes === 4 && (block.byteOffset & 3) === 0) {
    const w = new Uint32Array(block.buffer, block.byteOffset, n >> 2);
    for (let i = 0; i < w.length; i++) w[i] = bswap(w[i]!);
  } else if (bytes > 1) {
    for (let i = 0; i < n; i += bytes) {
      for (let a = i, b = i + bytes - 1; a < b; a++, b--) {
        const t = block[a]!;
        block[a] = block[b]!;
        block[b] = t;
      }
    }
  }
}
