/**
 * Rendezvous (highest-random-weight) hashing: which node owns a key, and who comes next. Used
 * for two placements that must stay stable while nodes come and go: a file's decode worker in
 * the pool (its decoder state stays on one thread) and a partition's bridge among peers (its
 * decoded-data cache stays hot on one instance). Adding a node moves only the keys it wins,
 * about 1/N of them; removing one moves only the keys it owned.
 */

/**
 * Node indices ordered by weight of (node, key), highest first. `nodes` is either a count (the
 * nodes are named 0..n-1, as pool slots are) or the nodes' names (peer URIs): a name, not a
 * position, decides its weight, so the order survives a list written in another order.
 */
export function rendezvousOrder(key: string, nodes: number | readonly string[]): number[] {
  const names = typeof nodes === 'number' ? Array.from({ length: nodes }, (_, i) => String(i)) : nodes;
  const weights: Array<[number, number]> = names.map((name, i) => [weight(name, key), i]);
  weights.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return weights.map((w) => w[1]);
}

function weight(node: string, key: string): number {
  return fmix32(fnv1a(`${node}\0${key}`));
}

/** 32-bit FNV-1a over the UTF-16 code units: cheap and deterministic. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * MurmurHash3's finaliser: FNV-1a alone leaves names that differ in one character (peer URIs
 * differing in the port) with correlated high bits, which would skew who wins.
 */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
