/**
 * An AVL tree of disjoint inclusive intervals [start, end] of bigints, keyed by `end`.
 *
 * Keyed by end because the common allocator edit is "take the lowest address of an interval":
 * that moves `start` and leaves the key alone, so it is an O(1) in-place edit after an
 * O(log n) lookup. All lookups, inserts and deletes are O(log n).
 */
import { invariant } from './result.js';

export interface IntervalNode {
  /** Mutable only through {@link IntervalTree.setStart}; the key (`end`) never changes in place. */
  start: bigint;
  readonly end: bigint;
  left: IntervalNode | undefined;
  right: IntervalNode | undefined;
  height: number;
}

function h(n: IntervalNode | undefined): number {
  return n === undefined ? 0 : n.height;
}

function fix(n: IntervalNode): void {
  const l = h(n.left);
  const r = h(n.right);
  n.height = (l > r ? l : r) + 1;
}

function rotateRight(n: IntervalNode): IntervalNode {
  const l = n.left as IntervalNode;
  n.left = l.right;
  l.right = n;
  fix(n);
  fix(l);
  return l;
}

function rotateLeft(n: IntervalNode): IntervalNode {
  const r = n.right as IntervalNode;
  n.right = r.left;
  r.left = n;
  fix(n);
  fix(r);
  return r;
}

function balance(n: IntervalNode): IntervalNode {
  fix(n);
  const bf = h(n.left) - h(n.right);
  if (bf > 1) {
    const l = n.left as IntervalNode;
    if (h(l.left) < h(l.right)) n.left = rotateLeft(l);
    return rotateRight(n);
  }
  if (bf < -1) {
    const r = n.right as IntervalNode;
    if (h(r.right) < h(r.left)) n.right = rotateRight(r);
    return rotateLeft(n);
  }
  return n;
}

function insertNode(n: IntervalNode | undefined, node: IntervalNode): IntervalNode {
  if (n === undefined) return node;
  invariant(node.end !== n.end, 'interval tree: duplicate key');
  if (node.end < n.end) n.left = insertNode(n.left, node);
  else n.right = insertNode(n.right, node);
  return balance(n);
}

function removeMin(n: IntervalNode): { root: IntervalNode | undefined; min: IntervalNode } {
  if (n.left === undefined) return { root: n.right, min: n };
  const r = removeMin(n.left);
  n.left = r.root;
  return { root: balance(n), min: r.min };
}

function deleteNode(n: IntervalNode | undefined, end: bigint): IntervalNode | undefined {
  invariant(n !== undefined, 'interval tree: deleting a missing key');
  if (end < n.end) n.left = deleteNode(n.left, end);
  else if (end > n.end) n.right = deleteNode(n.right, end);
  else {
    if (n.left === undefined) return n.right;
    if (n.right === undefined) return n.left;
    const { root, min } = removeMin(n.right);
    min.right = root;
    min.left = n.left;
    return balance(min);
  }
  return balance(n);
}

export class IntervalTree {
  #root: IntervalNode | undefined;
  #size = 0;

  /** Number of intervals. */
  get size(): number {
    return this.#size;
  }

  /** The lowest interval. */
  min(): IntervalNode | undefined {
    let n = this.#root;
    if (n === undefined) return undefined;
    while (n.left !== undefined) n = n.left;
    return n;
  }

  /** The highest interval. */
  max(): IntervalNode | undefined {
    let n = this.#root;
    if (n === undefined) return undefined;
    while (n.right !== undefined) n = n.right;
    return n;
  }

  /** The interval with the smallest end >= k (the only one that can contain k). */
  ceil(k: bigint): IntervalNode | undefined {
    let n = this.#root;
    let best: IntervalNode | undefined;
    while (n !== undefined) {
      if (n.end >= k) {
        best = n;
        n = n.left;
      } else n = n.right;
    }
    return best;
  }

  /** The interval that contains k, if any. */
  containing(k: bigint): IntervalNode | undefined {
    const n = this.ceil(k);
    return n !== undefined && n.start <= k ? n : undefined;
  }

  /** The interval whose end is exactly k. */
  endingAt(k: bigint): IntervalNode | undefined {
    let n = this.#root;
    while (n !== undefined) {
      if (k === n.end) return n;
      n = k < n.end ? n.left : n.right;
    }
    return undefined;
  }

  insert(start: bigint, end: bigint): void {
    invariant(start <= end, 'interval tree: start after end');
    this.#root = insertNode(this.#root, { start, end, left: undefined, right: undefined, height: 1 });
    this.#size++;
  }

  delete(end: bigint): void {
    this.#root = deleteNode(this.#root, end);
    this.#size--;
  }

  /** Moves an interval's start; the caller keeps intervals disjoint. */
  setStart(n: IntervalNode, start: bigint): void {
    invariant(start <= n.end, 'interval tree: start after end');
    n.start = start;
  }

  /** Intervals in ascending order, starting with the first that ends at or after `from`. */
  *iterate(from?: bigint): Generator<IntervalNode> {
    const stack: IntervalNode[] = [];
    let n = this.#root;
    // Descend to the first qualifying node, stacking ancestors still to be visited.
    while (n !== undefined) {
      if (from === undefined || n.end >= from) {
        stack.push(n);
        n = n.left;
      } else n = n.right;
    }
    while (stack.length > 0) {
      const top = stack.pop() as IntervalNode;
      yield top;
      let c = top.right;
      while (c !== undefined) {
        stack.push(c);
        c = c.left;
      }
    }
  }
}
