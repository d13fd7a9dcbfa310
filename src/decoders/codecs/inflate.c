/*
 * Whole-buffer DEFLATE (RFC 1951) and zlib (RFC 1950) decoder for WebAssembly.
 *
 * The caller places the whole compressed stream and room for the whole output in this module's
 * memory and calls `inflate` once: no state survives between calls, so there is no window to
 * keep and no streaming bookkeeping. What makes it faster than zlib's inflate:
 *  - a 64-bit bit buffer refilled with one unaligned 8-byte load and no per-byte loop;
 *  - one table lookup per literal/length symbol (11-bit main table, subtables for longer codes),
 *    the entry carrying the length base and extra-bit count so symbol and extra bits are consumed
 *    with one shift; up to three literals decoded per refill;
 *  - matches copied 8 bytes at a time (16 with SIMD for far matches) while at least 288 bytes of
 *    output room remain, so no copy ever runs past the caller's bound.
 * Near the ends of input or output a careful loop takes over, checking every byte. Bits read past
 * the end of the input are zeros and counted; consuming any of them is a truncation error.
 *
 * Accepts and rejects exactly what zlib's inflate does for a whole stream (code-length sets that
 * are over-subscribed or incomplete, except a single one-bit code, as zlib allows; distances past
 * the start of the output; missing end-of-block code; bad repeats; bad header, check or lengths).
 * Bytes after the end of the stream are ignored, as zlib does.
 *
 * Built by scripts/build-inflate-wasm.sh (clang --target=wasm32, no libc).
 */
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;

/* Error codes: negative results of inflate(); inflate-wasm.ts names them. */
enum {
  E_TRUNCATED = -1,
  E_OUTPUT_FULL = -2,
  E_HEADER = -3,
  E_METHOD = -4,
  E_WINDOW = -5,
  E_DICTIONARY = -6,
  E_CHECK = -7,
  E_BLOCK_TYPE = -8,
  E_STORED_LENGTH = -9,
  E_TOO_MANY = -10,
  E_CODE_LENGTHS = -11,
  E_REPEAT = -12,
  E_NO_END = -13,
  E_LITLEN_SET = -14,
  E_DIST_SET = -15,
  E_LITLEN_CODE = -16,
  E_DIST_CODE = -17,
  E_TOO_FAR = -18,
};

/*
 * Table entries (u32):
 *   bits 0-7   bits to consume: code length plus extra bits (main-table bits for a link)
 *   bits 8-11  code length alone (subtable bits for a link)
 *   bit  12    end of block        bit 13  link to a subtable   bit 14  exceptional (12, 13 or invalid)
 *   bit  15    length whose extra bits are still to be added (lengths whose code and extra bits
 *              fit the main table have one entry per extra value, the length resolved)
 *   bits 16-30 literal byte, length base, or subtable offset; bit 31 literal
 *   distance entries: bits 16-31 distance base (never a literal)
 */
#define F_EOB 0x1000u
#define F_SUB 0x2000u
#define F_EXC 0x4000u
#define F_XB 0x8000u
#define F_LIT 0x80000000u

#define LIT_BITS 11
#define DIST_BITS 8
#define PRE_BITS 7
/* Main table plus the most subtable room any code of 288 (30) symbols up to 15 bits can need. */
#define LIT_SIZE ((1 << LIT_BITS) + 288 * (1 << (15 - LIT_BITS)))
#define DIST_SIZE ((1 << DIST_BITS) + 32 * (1 << (15 - DIST_BITS)))

static u32 lit_table[LIT_SIZE];
static u32 dist_table[DIST_SIZE];
static u32 pre_table[1 << PRE_BITS];
static u32 fixed_lit[LIT_SIZE];
static u32 fixed_dist[DIST_SIZE];
static u32 fixed_ready;

static u32 lit_tmpl[288];
static u32 dist_tmpl[32];
static u32 pre_tmpl[19];
static u32 tmpl_ready;

static const u16 len_base[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const u8 len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const u16 dist_base[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                  193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
                                  6145, 8193, 12289, 16385, 24577};
static const u8 dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
                                  6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
/* Order in which code-length code lengths are stored (RFC 1951 3.2.7). */
static const u8 pre_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* Per-symbol entry templates: everything but the code length, added when a table is built. */
static void init_templates(void) {
  for (u32 s = 0; s < 256; s++) lit_tmpl[s] = F_LIT | (s << 16);
  lit_tmpl[256] = F_EXC | F_EOB;
  for (u32 s = 257; s < 286; s++) lit_tmpl[s] = ((u32)len_base[s - 257] << 16) | len_extra[s - 257] | (len_extra[s - 257] ? F_XB : 0);
  lit_tmpl[286] = lit_tmpl[287] = F_EXC; /* exist in the fixed code, invalid to use */
  for (u32 s = 0; s < 30; s++) dist_tmpl[s] = ((u32)dist_base[s] << 16) | dist_extra[s];
  dist_tmpl[30] = dist_tmpl[31] = F_EXC;
  for (u32 s = 0; s < 19; s++) pre_tmpl[s] = s << 16;
  tmpl_ready = 1;
}

enum { KIND_PRE, KIND_LIT, KIND_DIST };

/*
 * Builds the decoding table of a canonical Huffman code from its code lengths. Codes are read
 * least significant bit first, so table indices are the codes bit-reversed: `code` below is kept
 * reversed and advanced with a reversed increment. Returns 0, or -1 for a set zlib rejects.
 */
static i32 build(u32 *table, u32 capacity, const u8 *lens, u32 n, u32 bits, const u32 *tmpl, u32 kind) {
  u32 count[16];
  u32 offs[16];
  u16 sorted[288];
  for (u32 l = 0; l < 16; l++) count[l] = 0;
  for (u32 s = 0; s < n; s++) count[lens[s]]++;
  u32 max = 15;
  while (max > 0 && count[max] == 0) max--;
  u32 size = 1u << bits;
  if (max == 0) {
    /* No codes at all: zlib accepts this (only a distance code can be empty and still be
       valid); any use of it is an invalid code. */
    if (kind == KIND_PRE) return -1;
    for (u32 i = 0; i < size; i++) table[i] = F_EXC | 1;
    return 0;
  }
  i32 left = 1;
  for (u32 l = 1; l < 16; l++) {
    left = (left << 1) - (i32)count[l];
    if (left < 0) return -1; /* over-subscribed */
  }
  /* Incomplete: zlib allows only a single code of one bit, and never for code lengths. */
  if (left > 0) {
    if (kind == KIND_PRE || max != 1) return -1;
    for (u32 i = 0; i < size; i++) table[i] = F_EXC | 1;
  }
  offs[1] = 0;
  for (u32 l = 1; l < 15; l++) offs[l + 1] = offs[l] + count[l];
  for (u32 s = 0; s < n; s++)
    if (lens[s]) sorted[offs[lens[s]]++] = (u16)s;

  u32 code = 0, k = 0;
  u32 short_max = max < bits ? max : bits;
  for (u32 l = 1; l <= short_max; l++) {
    for (u32 c = count[l]; c > 0; c--) {
      u32 t = tmpl[sorted[k++]], x = t & 0xff;
      if ((t & F_XB) && l + x <= bits) {
        /* A length and all its extra values in the main table: resolved, no extra bits to add. */
        for (u32 v = 0; v < (1u << x); v++) {
          u32 e = (t & ~F_XB & ~0xffu) + (v << 16) + (l + x) + ((l + x) << 8);
          for (u32 i = code | (v << l); i < size; i += 1u << (l + x)) table[i] = e;
        }
      } else {
        u32 e = t + l + (l << 8);
        for (u32 i = code; i < size; i += 1u << l) table[i] = e;
      }
      u32 bit = 1u << (l - 1);
      while (code & bit) bit >>= 1;
      code = bit ? (code & (bit - 1)) | bit : 0;
    }
  }
  if (max <= bits) return 0;

  u32 mask = size - 1, prefix = ~0u, next = size, sub = 0, sub_bits = 0;
  for (u32 l = bits + 1; l <= max; l++) {
    for (; count[l] > 0; count[l]--) {
      if ((code & mask) != prefix) {
        /* A new subtable: wide enough for every remaining code that shares this prefix. */
        prefix = code & mask;
        sub_bits = l - bits;
        i32 room = (1 << sub_bits) - (i32)count[l];
        while (room > 0 && bits + sub_bits < max) {
          sub_bits++;
          room = (room << 1) - (i32)count[bits + sub_bits];
        }
        sub = next;
        next += 1u << sub_bits;
        if (next > capacity) return -1; /* cannot happen for a complete code; kept as a guard */
        table[prefix] = F_EXC | F_SUB | (sub << 16) | (sub_bits << 8) | bits;
      }
      u32 r = l - bits;
      u32 e = tmpl[sorted[k++]] + r + (r << 8);
      for (u32 i = code >> bits; i < (1u << sub_bits); i += 1u << r) table[sub + i] = e;
      u32 bit = 1u << (l - 1);
      while (code & bit) bit >>= 1;
      code = bit ? (code & (bit - 1)) | bit : 0;
    }
  }
  return 0;
}

static void build_fixed(void) {
  u8 lens[288];
  u32 s = 0;
  for (; s < 144; s++) lens[s] = 8;
  for (; s < 256; s++) lens[s] = 9;
  for (; s < 280; s++) lens[s] = 7;
  for (; s < 288; s++) lens[s] = 8;
  build(fixed_lit, LIT_SIZE, lens, 288, LIT_BITS, lit_tmpl, KIND_LIT);
  for (s = 0; s < 32; s++) lens[s] = 5;
  build(fixed_dist, DIST_SIZE, lens, 32, DIST_BITS, dist_tmpl, KIND_DIST);
  fixed_ready = 1;
}

static inline u64 load64(const u8 *p) {
  u64 v;
  __builtin_memcpy(&v, p, 8);
  return v;
}
static inline void store64(u8 *p, u64 v) { __builtin_memcpy(p, &v, 8); }
static inline void copy16(u8 *d, const u8 *s) {
#ifdef __wasm_simd128__
  wasm_v128_store(d, wasm_v128_load(s));
#else
  store64(d, load64(s));
  store64(d + 8, load64(s + 8));
#endif
}

/* Adler-32 (RFC 1950) of n bytes, 16 lanes at a time: for a run of 16-byte vectors, s2 gains
   16 x (the byte sums of all earlier vectors) plus each byte weighted by 16 down to 1. */
static u32 adler32(const u8 *p, u32 n) {
  u32 a = 1, b = 0;
#ifdef __wasm_simd128__
  const v128_t weights = wasm_i16x8_make(16, 15, 14, 13, 12, 11, 10, 9);
  const v128_t weights2 = wasm_i16x8_make(8, 7, 6, 5, 4, 3, 2, 1);
  while (n >= 16) {
    /* 256 vectors at most per round keep every 32-bit lane below 2^32. */
    u32 vectors = n >> 4;
    if (vectors > 256) vectors = 256;
    u32 bytes = vectors << 4;
    v128_t s1 = wasm_i32x4_splat(0), s2 = wasm_i32x4_splat(0), prev = wasm_i32x4_splat(0);
    for (u32 v = 0; v < vectors; v++) {
      v128_t x = wasm_v128_load(p + (v << 4));
      prev = wasm_i32x4_add(prev, s1);
      v128_t lo = wasm_u16x8_extend_low_u8x16(x), hi = wasm_u16x8_extend_high_u8x16(x);
      s1 = wasm_i32x4_add(s1, wasm_u32x4_extadd_pairwise_u16x8(wasm_i16x8_add(lo, hi)));
      s2 = wasm_i32x4_add(s2, wasm_i32x4_add(wasm_i32x4_dot_i16x8(lo, weights), wasm_i32x4_dot_i16x8(hi, weights2)));
    }
    u64 sum1 = (u64)wasm_u32x4_extract_lane(s1, 0) + wasm_u32x4_extract_lane(s1, 1) + wasm_u32x4_extract_lane(s1, 2) + wasm_u32x4_extract_lane(s1, 3);
    u64 sum2 = (u64)wasm_u32x4_extract_lane(s2, 0) + wasm_u32x4_extract_lane(s2, 1) + wasm_u32x4_extract_lane(s2, 2) + wasm_u32x4_extract_lane(s2, 3);
    u64 base = (u64)wasm_u32x4_extract_lane(prev, 0) + wasm_u32x4_extract_lane(prev, 1) + wasm_u32x4_extract_lane(prev, 2) + wasm_u32x4_extract_lane(prev, 3);
    b = (u32)(((u64)b + (u64)a * bytes + 16 * base + sum2) % 65521);
    a = (u32)(((u64)a + sum1) % 65521);
    p += bytes;
    n -= bytes;
  }
#endif
  while (n >= 5552) {
    for (u32 i = 0; i < 5552; i++) {
      a += p[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
    p += 5552;
    n -= 5552;
  }
  while (n--) {
    a += *p++;
    b += a;
  }
  return ((b % 65521) << 16) | (a % 65521);
}

#ifdef __wasm__
/* Exposed so the wrapper can place data after the tables. */
extern u8 __heap_base;
u32 heap_base(void) { return (u32)&__heap_base; }
#endif

/*
 * Inflates `in_len` bytes at `in` into at most `cap` bytes at `out`; zlib-wrapped when `zlib` is
 * nonzero, raw DEFLATE otherwise. Returns the number of bytes written, or a negative error code.
 * Never reads past in + in_len or writes past out + cap.
 */
i32 inflate(const u8 *in, u32 in_len, u8 *out, u32 cap, u32 zlib) {
  if (!tmpl_ready) init_templates();
  const u8 *ip = in, *const iend = in + in_len;
  /* The fast loop refills at most twice per symbol pair, each an 8-byte load advancing <= 7. */
  const u8 *const ifast = in_len > 32 ? iend - 32 : in;
  u8 *op = out, *const oend = out + cap;
  /* One fast iteration writes at most 3 literals, or 2 and a match rounded up to 16 (<= 274). */
  u8 *const ofast = cap > 288 ? oend - 288 : out;
  u64 bb = 0;     /* bit buffer: `bl` valid bits from bit 0; bits above are the next input bits or 0 */
  u32 bl = 0;
  u32 over = 0;   /* zero bytes supplied past the end of input */
  u8 lens[288 + 32];

  if (zlib) {
    if (in_len < 2) return E_TRUNCATED;
    u32 cmf = in[0], flg = in[1];
    if (((cmf << 8) | flg) % 31) return E_HEADER;
    if ((cmf & 15) != 8) return E_METHOD;
    if ((cmf >> 4) > 7) return E_WINDOW;
    if (flg & 0x20) return E_DICTIONARY;
    ip += 2;
  }

/* Careful refill: byte by byte, zeros past the end. Consuming a zero past the end is truncation:
   the bits above `bl` are the supplied zeros, so more of them than `bl` means some were used. */
#define REFILL_SLOW()                            \
  do {                                           \
    while (bl <= 56) {                           \
      if (ip < iend) bb |= (u64)*ip++ << bl;     \
      else over++;                               \
      bl += 8;                                   \
    }                                            \
    if (over * 8 > bl) return E_TRUNCATED;       \
  } while (0)
/* Fast refill (only while ip < ifast): bl becomes 56..63. */
#define REFILL_FAST()                  \
  do {                                 \
    bb |= load64(ip) << bl;            \
    ip += (63 - bl) >> 3;              \
    bl |= 56;                          \
  } while (0)
#define DROP(n)   \
  do {            \
    u32 n_ = (n); \
    bb >>= n_;    \
    bl -= n_;     \
  } while (0)

  u32 final;
  do {
    REFILL_SLOW();
    final = bb & 1;
    u32 type = (bb >> 1) & 3;
    DROP(3);
    /* Decoding always reads lit_table and dist_table (constant addresses in the code). */
    const u32 *const lt = lit_table, *const dt = dist_table;
    if (type == 0) {
      /* Stored: skip to a byte boundary, then LEN, NLEN and the bytes, straight from memory. */
      DROP(bl & 7);
      if (over * 8 > bl) return E_TRUNCATED;
      const u8 *pos = ip - ((bl - over * 8) >> 3);
      if (iend - pos < 4) return E_TRUNCATED;
      u32 len = pos[0] | (pos[1] << 8), nlen = pos[2] | (pos[3] << 8);
      if (len != (~nlen & 0xffff)) return E_STORED_LENGTH;
      pos += 4;
      if ((u32)(iend - pos) < len) return E_TRUNCATED;
      if ((u32)(oend - op) < len) return E_OUTPUT_FULL;
      __builtin_memcpy(op, pos, len);
      op += len;
      ip = pos + len;
      bb = 0;
      bl = 0;
      over = 0;
      continue;
    } else if (type == 1) {
      if (!fixed_ready) build_fixed();
      /* The fixed code's entries fit the main tables (9 and 5 bits): copy those. */
      __builtin_memcpy(lit_table, fixed_lit, sizeof(u32) << LIT_BITS);
      __builtin_memcpy(dist_table, fixed_dist, sizeof(u32) << DIST_BITS);
    } else if (type == 2) {
      u32 nlit = (bb & 31) + 257, ndist = ((bb >> 5) & 31) + 1, npre = ((bb >> 10) & 15) + 4;
      DROP(14);
      if (nlit > 286 || ndist > 30) return E_TOO_MANY;
      u8 pre[19];
      for (u32 i = 0; i < 19; i++) pre[i] = 0;
      REFILL_SLOW(); /* at most 57 bits of code-length code lengths */
      for (u32 i = 0; i < npre; i++) {
        pre[pre_order[i]] = bb & 7;
        DROP(3);
      }
      if (build(pre_table, 1 << PRE_BITS, pre, 19, PRE_BITS, pre_tmpl, KIND_PRE)) return E_CODE_LENGTHS;
      u32 total = nlit + ndist;
      for (u32 i = 0; i < total;) {
        REFILL_SLOW();
        u32 e = pre_table[bb & ((1 << PRE_BITS) - 1)];
        DROP(e & 0xff);
        u32 sym = e >> 16;
        if (sym < 16) {
          lens[i++] = (u8)sym;
          continue;
        }
        u32 rep;
        u8 val = 0;
        if (sym == 16) {
          if (i == 0) return E_REPEAT;
          val = lens[i - 1];
          rep = 3 + (bb & 3);
          DROP(2);
        } else if (sym == 17) {
          rep = 3 + (bb & 7);
          DROP(3);
        } else {
          rep = 11 + (bb & 127);
          DROP(7);
        }
        if (rep > total - i) return E_REPEAT;
        while (rep--) lens[i++] = val;
      }
      if (over * 8 > bl) return E_TRUNCATED;
      if (lens[256] == 0) return E_NO_END;
      if (build(lit_table, LIT_SIZE, lens, nlit, LIT_BITS, lit_tmpl, KIND_LIT)) return E_LITLEN_SET;
      if (build(dist_table, DIST_SIZE, lens + nlit, ndist, DIST_BITS, dist_tmpl, KIND_DIST)) return E_DIST_SET;
    } else {
      return E_BLOCK_TYPE;
    }

    const u32 lmask = (1u << LIT_BITS) - 1, dmask = (1u << DIST_BITS) - 1;
    u32 e, d, len, dist;
    /*
     * Fast loop: no bounds checks needed inside, see ifast and ofast. The next literal/length
     * entry is looked up as soon as its bits are known (before a refill, which leaves the low
     * bits as they are, and before a match is copied), so the table load overlaps other work.
     * Bits: a refill leaves >= 56; two literals take <= 30, a length <= 20 (link included), a
     * distance <= 28 after the second refill, and a lookup needs <= 15 valid bits.
     */
    if (ip < ifast && op <= ofast) {
      REFILL_FAST();
      e = lt[bb & lmask];
    }
    while (ip < ifast && op <= ofast) {
      REFILL_FAST();
      if (e & F_LIT) {
        DROP(e & 0xff);
        *op++ = (u8)(e >> 16);
        e = lt[bb & lmask];
        if (e & F_LIT) {
          DROP(e & 0xff);
          *op++ = (u8)(e >> 16);
          e = lt[bb & lmask];
          continue;
        }
      }
      if (e & F_EXC) {
        if (e & F_SUB) {
          DROP(LIT_BITS);
          e = lt[(e >> 16) + (bb & ((1u << ((e >> 8) & 15)) - 1))];
          if (e & F_LIT) {
            DROP(e & 0xff);
            *op++ = (u8)(e >> 16);
            e = lt[bb & lmask];
            continue;
          }
        }
        if (e & F_EXC) {
          if (e & F_EOB) {
            DROP(e & 0xff);
            goto block_done;
          }
          return E_LITLEN_CODE;
        }
      }
      /* Length: base plus the extra bits that follow the code, unless resolved in the table. */
      len = e >> 16;
      if (e & F_XB) len += ((u32)bb & ((1u << (e & 0xff)) - 1)) >> ((e >> 8) & 15);
      DROP(e & 0xff);
      d = dt[bb & dmask];
      REFILL_FAST();
      if (d & F_EXC) {
        if (!(d & F_SUB)) return E_DIST_CODE;
        DROP(DIST_BITS);
        d = dt[(d >> 16) + (bb & ((1u << ((d >> 8) & 15)) - 1))];
        if (d & F_EXC) return E_DIST_CODE;
      }
      dist = (d >> 16) + (((u32)bb & ((1u << (d & 0xff)) - 1)) >> ((d >> 8) & 15));
      DROP(d & 0xff);
      e = lt[bb & lmask];
      if (dist > (u32)(op - out)) return E_TOO_FAR;
      {
        const u8 *src = op - dist;
        u8 *end = op + len;
        if (dist >= 16) {
          do {
            copy16(op, src);
            op += 16;
            src += 16;
          } while (op < end);
        } else if (dist >= 8) {
          do {
            store64(op, load64(src));
            op += 8;
            src += 8;
          } while (op < end);
        } else if (dist == 1) {
          u64 v = (u64)src[0] * 0x0101010101010101ull;
          do {
            store64(op, v);
            op += 8;
          } while (op < end);
        } else {
          do *op++ = *src++;
          while (op < end);
        }
        op = end;
      }
    }
    /* Careful loop near the ends of input or output. */
    for (;;) {
      REFILL_SLOW();
      e = lt[bb & lmask];
      if (e & F_SUB) {
        DROP(LIT_BITS);
        e = lt[(e >> 16) + (bb & ((1u << ((e >> 8) & 15)) - 1))];
      }
      if (e & F_LIT) {
        if (op == oend) return E_OUTPUT_FULL;
        DROP(e & 0xff);
        *op++ = (u8)(e >> 16);
        continue;
      }
      if (e & F_EXC) {
        if (e & F_EOB) {
          DROP(e & 0xff);
          break;
        }
        return E_LITLEN_CODE;
      }
      len = (e >> 16) + (((u32)bb & ((1u << (e & 0xff)) - 1)) >> ((e >> 8) & 15));
      DROP(e & 0xff);
      d = dt[bb & dmask];
      if (d & F_SUB) {
        DROP(DIST_BITS);
        d = dt[(d >> 16) + (bb & ((1u << ((d >> 8) & 15)) - 1))];
      }
      if (d & F_EXC) return E_DIST_CODE;
      dist = (d >> 16) + (((u32)bb & ((1u << (d & 0xff)) - 1)) >> ((d >> 8) & 15));
      DROP(d & 0xff);
      if (over * 8 > bl) return E_TRUNCATED;
      if (dist > (u32)(op - out)) return E_TOO_FAR;
      if (len > (u32)(oend - op)) return E_OUTPUT_FULL;
      const u8 *src = op - dist;
      while (len--) *op++ = *src++;
    }
  block_done:
    if (over * 8 > bl) return E_TRUNCATED;
  } while (!final);

  if (zlib) {
    DROP(bl & 7);
    if (over * 8 > bl) return E_TRUNCATED;
    const u8 *pos = ip - ((bl - over * 8) >> 3);
    if (iend - pos < 4) return E_TRUNCATED;
    u32 want = ((u32)pos[0] << 24) | ((u32)pos[1] << 16) | ((u32)pos[2] << 8) | pos[3];
    if (adler32(out, (u32)(op - out)) != want) return E_CHECK;
  }
  return (i32)(op - out);
}
