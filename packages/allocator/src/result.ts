/**
 * Expected outcomes are values, not exceptions (house style). Only a broken invariant throws,
 * through {@link invariant} / {@link unreachable}.
 */

/** The closed set of error codes the allocator can return. */
export type AllocatorErrorCode =
  /** A single IP address failed to parse. */
  | 'InvalidAddress'
  /** A CIDR failed to parse, or its length is out of range for the family. */
  | 'InvalidPrefix'
  /** An `a-b` range failed to parse or is reversed. */
  | 'InvalidRange'
  /** Entries that must share one IP family do not. */
  | 'MixedFamily'
  /** A family the operation does not support (prefix pools are IPv6 only). */
  | 'UnsupportedFamily'
  /** A prefix pool CIDR has host bits set. */
  | 'NotNetworkAligned'
  /** A pool spec that cannot produce a layout (e.g. an invalid prefix length). */
  | 'InvalidSpec'
  /** The address or prefix is not part of the pool's allocatable set. */
  | 'NotInPool'
  /** The address or prefix is already in use. */
  | 'AlreadyAllocated'
  /** Release of something that is not held. */
  | 'NotAllocated'
  /** Nothing left to allocate. */
  | 'PoolExhausted';

/** An expected failure: a code from the closed set, a human message, and what it was about. */
export interface AllocatorError {
  readonly code: AllocatorErrorCode;
  /** Human-readable; uses the upstream (Go) wording where upstream has one. */
  readonly message: string;
  /** The input string the error is about, when there is one. */
  readonly input?: string;
  /** Field path of the offending spec entry, e.g. `spec.addresses[2]`, when known. */
  readonly path?: string;
}

export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E = AllocatorError> = { readonly ok: false; readonly error: E };
export type Result<T, E = AllocatorError> = Ok<T> | Err<E>;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function err<E = AllocatorError>(error: E): Err<E> {
  return { ok: false, error };
}

/** Builds an {@link AllocatorError} without undefined-valued keys (keeps JSON output tidy). */
export function allocatorError(
  code: AllocatorErrorCode,
  message: string,
  extra: { input?: string | undefined; path?: string | undefined } = {},
): AllocatorError {
  const e: { code: AllocatorErrorCode; message: string; input?: string; path?: string } = { code, message };
  if (extra.input !== undefined) e.input = extra.input;
  if (extra.path !== undefined) e.path = extra.path;
  return e;
}

/** Thrown only when the allocator's own invariants are broken: a bug, never bad input. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

export function unreachable(message: string): never {
  throw new InvariantError(message);
}
