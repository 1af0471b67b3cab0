// Ternary codes of unit vectors, for scanning large stores fast. Each dimension becomes +1, -1 or 0 (when its
// value is small: under half of what a dimension of a uniformly spread unit vector holds), kept as two bit sets
// (positive, negative). Two codes' similarity, counted with bit operations 32 dimensions at a time, follows the
// vectors' cosine closely enough to pick a few thousand candidates that the exact vectors then rank (see
// vector-search.ts). Zero dimensions stay zero, so sparse vectors (a hashed bag of words) keep their shape,
// unlike with sign bits.

/** 32-bit words of one code: the positive set, then the negative set. */
export const codeLength = (dims: number) => 2 * Math.ceil(dims / 32);

/** Writes `v`'s code (v a unit vector) into `codes` at `offset`. */
export function encodeTernary(v: Float32Array, codes: Int32Array, offset: number): void {
  const words = codeLength(v.length) / 2;
  const threshold = 0.5 / Math.sqrt(v.length);
  codes.fill(0, offset, offset + 2 * words);
  for (let i = 0; i < v.length; i++) {
    const bit = 1 << (i & 31);
    if (v[i]! >= threshold) codes[offset + (i >>> 5)]! |= bit;
    else if (v[i]! <= -threshold) codes[offset + words + (i >>> 5)]! |= bit;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Agreements minus disagreements between the code at `offset` and the query's code. */
export function ternarySimilarity(codes: Int32Array, offset: number, query: Int32Array): number {
  const words = query.length / 2;
  let score = 0;
  for (let k = 0; k < words; k++) {
    const p = codes[offset + k]!;
    const n = codes[offset + words + k]!;
    const qp = query[k]!;
    const qn = query[words + k]!;
    score += popcount((p & qp) | (n & qn)) - popcount((p & qn) | (n & qp));
  }
  return score;
}
