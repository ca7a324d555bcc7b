/**
 * Invariant checks for storage, replication and protocol code. A failed assertion is a bug in
 * Gregor, never a client's fault: it throws AssertionError and is reported, not recovered from.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
