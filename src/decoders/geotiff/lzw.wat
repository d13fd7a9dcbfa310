;; TIFF LZW (TIFF 6.0 section 13: MSB-first 9-12 bit codes, Clear 256, EndOfInformation 257, the
;; width growing one code early as libtiff writes it) into a bounded output, as block-codecs.ts
;; decodeLzw does in TypeScript: each code's string is (start, length) in the output itself.
;; lzw(src, srcLen, dst, max, table) -> bytes written, or a negative error:
;;   -1 stream ends without an end code before the block is full, -2 output exceeds `max`,
;;   -3 a code above 255 right after a clear code, -4 a code not in the table.
;; src needs 2 readable bytes past srcLen; dst needs 4 bytes of room past max; table 4096 * 8 bytes.
(module
  (memory (export "memory") 1)
  (func (export "lzw") (param $src i32) (param $len i32) (param $dst i32) (param $max i32) (param $tab i32) (result i32)
    (local $bit i32) (local $total i32) (local $width i32) (local $mask i32) (local $next i32)
    (local $prevStart i32) (local $prevLen i32) (local $pos i32) (local $code i32) (local $length i32)
    (local $from i32) (local $i i32) (local $b i32) (local $e i32)
    (local.set $total (i32.shl (local.get $len) (i32.const 3)))
    (local.set $width (i32.const 9))
    (local.set $mask (i32.const 511))
    (local.set $next (i32.const 258))
    (local.set $prevStart (i32.const -1))
    (block $end (loop $codes
      ;; end of data: accepted once the block is full (libtiff does)
      (if (i32.gt_u (i32.add (local.get $bit) (local.get $width)) (local.get $total))
        (then
          (br_if $end (i32.eq (local.get $pos) (local.get $max)))
          (return (i32.const -1))))
      (local.set $b (i32.add (local.get $src) (i32.shr_u (local.get $bit) (i32.const 3))))
      (local.set $code
        (i32.and
          (i32.shr_u
            (i32.or (i32.or
              (i32.shl (i32.load8_u (local.get $b)) (i32.const 16))
              (i32.shl (i32.load8_u offset=1 (local.get $b)) (i32.const 8)))
              (i32.load8_u offset=2 (local.get $b)))
            (i32.sub (i32.sub (i32.const 24) (local.get $width)) (i32.and (local.get $bit) (i32.const 7))))
          (local.get $mask)))
      (local.set $bit (i32.add (local.get $bit) (local.get $width)))
      (block $emitted
        (if (i32.lt_u (local.get $code) (i32.const 256))
          (then
            (if (i32.ge_u (local.get $pos) (local.get $max)) (then (return (i32.const -2))))
            (i32.store8 (i32.add (local.get $dst) (local.get $pos)) (local.get $code))
            (local.set $length (i32.const 1))
            (br $emitted)))
        (if (i32.and (i32.ge_u (local.get $code) (i32.const 258)) (i32.lt_u (local.get $code) (local.get $next)))
          (then
            (local.set $e (i32.add (local.get $tab) (i32.shl (local.get $code) (i32.const 3))))
            (local.set $from (i32.add (local.get $dst) (i32.load (local.get $e))))
            (local.set $length (i32.load offset=4 (local.get $e)))
            (if (i32.gt_u (i32.add (local.get $pos) (local.get $length)) (local.get $max)) (then (return (i32.const -2))))
            (local.set $e (i32.add (local.get $dst) (local.get $pos)))
            (local.set $i (i32.const 0))
            (loop $copy
              (i32.store (i32.add (local.get $e) (local.get $i)) (i32.load (i32.add (local.get $from) (local.get $i))))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br_if $copy (i32.lt_u (local.get $i) (local.get $length))))
            (br $emitted)))
        (if (i32.eq (local.get $code) (i32.const 256))
          (then
            (local.set $width (i32.const 9))
            (local.set $mask (i32.const 511))
            (local.set $next (i32.const 258))
            (local.set $prevStart (i32.const -1))
            (br $codes)))
        (br_if $end (i32.eq (local.get $code) (i32.const 257)))
        (if (i32.and (i32.eq (local.get $code) (local.get $next))
                     (i32.and (i32.ge_s (local.get $prevStart) (i32.const 0)) (i32.lt_u (local.get $next) (i32.const 4096))))
          (then
            ;; the string being defined: the previous one (ending at pos) plus its own first byte
            (local.set $length (i32.add (local.get $prevLen) (i32.const 1)))
            (if (i32.gt_u (i32.add (local.get $pos) (local.get $length)) (local.get $max)) (then (return (i32.const -2))))
            (local.set $from (i32.add (local.get $dst) (local.get $prevStart)))
            (local.set $e (i32.add (local.get $dst) (local.get $pos)))
            (local.set $i (i32.const 0))
            (loop $copy2
              (i32.store (i32.add (local.get $e) (local.get $i)) (i32.load (i32.add (local.get $from) (local.get $i))))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br_if $copy2 (i32.lt_u (local.get $i) (local.get $prevLen))))
            (i32.store8 (i32.add (local.get $e) (local.get $prevLen)) (i32.load8_u (local.get $from)))
            (br $emitted)))
        (return (select (i32.const -3) (i32.const -4) (i32.lt_s (local.get $prevStart) (i32.const 0)))))
      ;; each code after the first defines the previous string plus the first byte of this one
      (if (i32.and (i32.ge_s (local.get $prevStart) (i32.const 0)) (i32.lt_u (local.get $next) (i32.const 4096)))
        (then
          (local.set $e (i32.add (local.get $tab) (i32.shl (local.get $next) (i32.const 3))))
          (i32.store (local.get $e) (local.get $prevStart))
          (i32.store offset=4 (local.get $e) (i32.add (local.get $prevLen) (i32.const 1)))
          (local.set $next (i32.add (local.get $next) (i32.const 1)))))
      (local.set $prevStart (local.get $pos))
      (local.set $prevLen (local.get $length))
      (local.set $pos (i32.add (local.get $pos) (local.get $length)))
      (if (i32.and (i32.ge_u (local.get $next) (local.get $mask)) (i32.lt_u (local.get $width) (i32.const 12)))
        (then
          (local.set $width (i32.add (local.get $width) (i32.const 1)))
          (local.set $mask (i32.or (i32.shl (local.get $mask) (i32.const 1)) (i32.const 1)))))
      (br $codes)))
    (local.get $pos)))
