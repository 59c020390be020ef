/**
 * 128-bit values as four 32-bit words without bigint arithmetic per word. Storing a bigint into
 * a BigUint64Array truncates it to its low 64 bits without allocating, and reading gives a
 * bigint back; a Uint32Array over the same buffer exposes the words. `halves[0]` holds the high
 * half, so `words[k ^ WORD_SWAP]` is the k-th most significant word on either endianness.
 * Scratch state: callers use it synchronously and never across a call that could reuse it.
 */
const halves = new BigUint64Array(2);
const words = new Uint32Array(halves.buffer);
const WORD_SWAP = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Splits a value of 0 .. 2^128−1 into its words; read them with {@link word}. */
export function splitWords(value: bigint): void {
  halves[0] = value >> 64n;
  halves[1] = value;
}

/** The k-th most significant 32-bit word (k = 0..3) of the last {@link splitWords}. */
export function word(k: number): number {
  return words[k ^ WORD_SWAP] ?? 0;
}

/** The 128-bit value of four 32-bit words, most significant first (at most four bigint operations). */
export function joinWords(w0: number, w1: number, w2: number, w3: number): bigint {
  words[WORD_SWAP] = w0;
  words[1 ^ WORD_SWAP] = w1;
  words[2 ^ WORD_SWAP] = w2;
  words[3 ^ WORD_SWAP] = w3;
  if (w0 === 0 && w1 === 0) return halves[1] ?? 0n;
  const hi = (halves[0] ?? 0n) << 64n;
  return w2 === 0 && w3 === 0 ? hi : hi | (halves[1] ?? 0n);
}
