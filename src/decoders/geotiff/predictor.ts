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
  if (floatRowsFit(block, rowSamples, stride, bytes)) {
    // In place, a row at a time through a scratch row (a row's samples overwrite its planes).
    const words = bytes >> 2;
    if (rowWords.length < rowSamples * words) rowWords = new Uint32Array(rowSamples * words);
    const w = new Uint32Array(block.buffer, block.byteOffset, block.length >> 2);
    for (let r = 0; r < rows; r++) {
      floatRowsInto(block, rowSamples, bytes, { to: rowWords, start: 0, pitch: 0, r0: r, r1: r + 1, c0: 0, c1: rowSamples });
      w.set(rowWords.subarray(0, rowSamples * words), r * rowSamples * words);
    }
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

/** Where assembled rows go: row r of the block to `to[start + (r - r0) * pitch + (c - c0) * words]` for columns [c0, c1). */
export interface RowTarget {
  to: Uint32Array;
  start: number;
  /** Output row pitch in 32-bit words. */
  pitch: number;
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

/**
 * Whether `floatRowsInto` takes this block: single-sample rows of 4- or 8-byte floats whose
 * planes start on word boundaries.
 */
function floatRowsFit(block: Uint8Array, rowSamples: number, stride: number, bytes: number): boolean {
  return stride === 1 && (bytes === 4 || bytes === 8) && rowSamples % 4 === 0 && (block.byteOffset & 3) === 0;
}

let assembled = new Uint32Array(0);

/**
 * Undoes predictor 3 on rows [t.r0, t.r1) of a single-sample float block (see floatRowsFit) and
 * writes columns [t.c0, t.c1) of each straight into the target. The planes are read a word
 * (4 bytes of a plane) at a time. The accumulation runs across the whole row, plane after plane,
 * so each plane's running sum starts from the sum of all bytes of the planes before it; with those
 * start values the planes are accumulated side by side and each sample is complete as soon as its
 * bytes are known, in one pass.
 */
export function floatRowsInto(block: Uint8Array, n: number, bytes: number, t: RowTarget): void {
  const w = new Uint32Array(block.buffer, block.byteOffset, block.length >> 2);
  const words = bytes >> 2;
  const whole = t.c0 === 0 && t.c1 === n;
  if (!whole && assembled.length < n * words) assembled = new Uint32Array(n * words);
  for (let r = t.r0, o = t.start; r < t.r1; r++, o += t.pitch) {
    const row = r * n * words;
    const to = whole ? t.to : assembled;
    const at = whole ? o : 0;
    if (bytes === 4) float32Row(w, row, n, to, at);
    else float64Row(w, row, n, to, at);
    if (!whole) t.to.set(assembled.subarray(t.c0 * words, t.c1 * words), o);
  }
}

/** Sum of the bytes of words [from, from + count), modulo 256 (the caller masks): two 16-bit lanes of byte pairs. */
function byteSum(w: Uint32Array, from: number, count: number): number {
  let total = 0;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < count; i++) {
    const x = w[from + i]!;
    lo += x & 0x00ff00ff;
    hi += (x >>> 8) & 0x00ff00ff;
    // A lane holds at most 257 sums of 255 before it would carry into its neighbour: empty them every 256.
    if ((i & 255) === 255) {
      total += (lo & 0xffff) + (lo >>> 16) + (hi & 0xffff) + (hi >>> 16);
      lo = 0;
      hi = 0;
    }
  }
  return total + (lo & 0xffff) + (lo >>> 16) + (hi & 0xffff) + (hi >>> 16);
}

/** Byte-wise a + b (each of the four bytes modulo 256, no carries between them). */
function addBytes(a: number, b: number): number {
  return ((a & 0x7f7f7f7f) + (b & 0x7f7f7f7f)) ^ ((a ^ b) & 0x80808080);
}

/*
 * The running sums of the four planes are kept as the four bytes of one word (plane 0 in the top
 * byte), which is then exactly the sample: each step adds, byte-wise, one byte of each plane. Four
 * samples' plane bytes come in as four words (one per plane) and are transposed into four
 * increments with shifts and masks.
 */
function float32Row(w: Uint32Array, b0: number, n: number, out: Uint32Array, o: number): void {
  const q = n >> 2;
  const b1 = b0 + q, b2 = b1 + q, b3 = b2 + q;
  const s1 = byteSum(w, b0, q);
  const s2 = s1 + byteSum(w, b1, q);
  const s3 = s2 + byteSum(w, b2, q);
  let a = ((s1 & 255) << 16) | ((s2 & 255) << 8) | (s3 & 255);
  for (let i = 0; i < q; i++) {
    const x0 = w[b0 + i]!, x1 = w[b1 + i]!, x2 = w[b2 + i]!, x3 = w[b3 + i]!;
    // 16-bit lanes of (plane 0, plane 1) and (plane 2, plane 3) bytes, for samples 0/2 and 1/3.
    const t0 = (x1 & 0x00ff00ff) | ((x0 & 0x00ff00ff) << 8);
    const t1 = ((x1 >>> 8) & 0x00ff00ff) | (x0 & 0xff00ff00);
    const u0 = (x3 & 0x00ff00ff) | ((x2 & 0x00ff00ff) << 8);
    const u1 = ((x3 >>> 8) & 0x00ff00ff) | (x2 & 0xff00ff00);
    out[o++] = a = addBytes(a, (t0 << 16) | (u0 & 0xffff));
    out[o++] = a = addBytes(a, (t1 << 16) | (u1 & 0xffff));
    out[o++] = a = addBytes(a, (t0 & 0xffff0000) | (u0 >>> 16));
    out[o++] = a = addBytes(a, (t1 & 0xffff0000) | (u1 >>> 16));
  }
}

/** As float32Row with eight planes: planes 0-3 make the high word of a sample, 4-7 the low one. */
function float64Row(w: Uint32Array, b0: number, n: number, out: Uint32Array, o: number): void {
  const q = n >> 2;
  const b1 = b0 + q, b2 = b1 + q, b3 = b2 + q, b4 = b3 + q, b5 = b4 + q, b6 = b5 + q, b7 = b6 + q;
  const s1 = byteSum(w, b0, q);
  const s2 = s1 + byteSum(w, b1, q);
  const s3 = s2 + byteSum(w, b2, q);
  const s4 = s3 + byteSum(w, b3, q);
  const s5 = s4 + byteSum(w, b4, q);
  const s6 = s5 + byteSum(w, b5, q);
  const s7 = s6 + byteSum(w, b6, q);
  let hi = ((s1 & 255) << 16) | ((s2 & 255) << 8) | (s3 & 255);
  let lo = ((s4 & 255) << 24) | ((s5 & 255) << 16) | ((s6 & 255) << 8) | (s7 & 255);
  for (let i = 0; i < q; i++) {
    const x0 = w[b0 + i]!, x1 = w[b1 + i]!, x2 = w[b2 + i]!, x3 = w[b3 + i]!;
    const x4 = w[b4 + i]!, x5 = w[b5 + i]!, x6 = w[b6 + i]!, x7 = w[b7 + i]!;
    const t0 = (x1 & 0x00ff00ff) | ((x0 & 0x00ff00ff) << 8);
    const t1 = ((x1 >>> 8) & 0x00ff00ff) | (x0 & 0xff00ff00);
    const u0 = (x3 & 0x00ff00ff) | ((x2 & 0x00ff00ff) << 8);
    const u1 = ((x3 >>> 8) & 0x00ff00ff) | (x2 & 0xff00ff00);
    const v0 = (x5 & 0x00ff00ff) | ((x4 & 0x00ff00ff) << 8);
    const v1 = ((x5 >>> 8) & 0x00ff00ff) | (x4 & 0xff00ff00);
    const z0 = (x7 & 0x00ff00ff) | ((x6 & 0x00ff00ff) << 8);
    const z1 = ((x7 >>> 8) & 0x00ff00ff) | (x6 & 0xff00ff00);
    out[o++] = lo = addBytes(lo, (v0 << 16) | (z0 & 0xffff));
    out[o++] = hi = addBytes(hi, (t0 << 16) | (u0 & 0xffff));
    out[o++] = lo = addBytes(lo, (v1 << 16) | (z1 & 0xffff));
    out[o++] = hi = addBytes(hi, (t1 << 16) | (u1 & 0xffff));
    out[o++] = lo = addBytes(lo, (v0 & 0xffff0000) | (z0 >>> 16));
    out[o++] = hi = addBytes(hi, (t0 & 0xffff0000) | (u0 >>> 16));
    out[o++] = lo = addBytes(lo, (v1 & 0xffff0000) | (z1 >>> 16));
    out[o++] = hi = addBytes(hi, (t1 & 0xffff0000) | (u1 >>> 16));
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
