// What all request bodies together may hold while they are read and handled. One request is bounded
// by its own limit (7 MiB for admission, 32 MiB for conversion), but a client can send many at once:
// HTTP/2 streams on one connection, or HTTP/1.1 connections. Without a shared bound, 250 streams of
// 7 MiB would take the process past its 128 MiB heap; with it, the request that would pass the bound
// gets 503 with Retry-After. And since a body parsed is several times its size on the V8 heap (a
// 7 MiB maximal review: ~20 MiB more), bodies over LARGE_BODY_BYTES are parsed and handled one at a
// time (server.ts); the others wait with their bytes, which the budget counts. Without both, 20
// maximal reviews at once on 20 connections ended the process with "Reached heap limit"
// (`npm run bench:webhook`).

/** All bodies together (the largest conversion plus one admission request fit, with room to spare). */
export const BUFFERED_BODIES_MAX_BYTES = 40 * 1024 * 1024;

/** Bodies above this are parsed and handled one at a time (admission reviews are a few KiB). */
export const LARGE_BODY_BYTES = 1024 * 1024;

export class BodyBudget {
  #used = 0;

  constructor(readonly max: number = BUFFERED_BODIES_MAX_BYTES) {}

  /** Bytes held now, by every request together. */
  get used(): number {
    return this.#used;
  }

  /** Whether `bytes` more would stay within the bound. */
  fits(bytes: number): boolean {
    return this.#used + bytes <= this.max;
  }

  /** Takes `bytes` if they fit; false (and nothing taken) if they would pass the bound. */
  take(bytes: number): boolean {
    if (!this.fits(bytes)) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
