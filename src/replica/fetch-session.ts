import { randomInt } from 'node:crypto';
import { ErrorCode } from '../errors.js';

/**
 * Incremental fetch sessions (KIP-227). A consumer that opens a session sends only the
 * partitions that changed; the broker remembers the rest and answers only for partitions
 * with news (records, a moved high watermark, log start offset or last stable offset, or an
 * error).
 */

/** Session epochs with a meaning of their own. */
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
/** min.incremental.fetch.session.eviction.ms: a session unused this long may be evicted for a new one. */
export const SESSION_EVICTION_MS = 120_000;
/** Most partitions one session may hold (bounds the memory a client can pin). */
export const SESSION_PARTITIONS_MAX = 100_000;

export interface SessionPartition {
  readonly key: string;
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  /** What the client was last told, to decide whether it must hear about this partition again. */
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
}

export class FetchSession {
  readonly id: number;
  epoch: number;
  lastUsedMs: number;
  /** Insertion-ordered; partitions that returned data move to the end, for fairness. */
  readonly partitions = new Map<string, SessionPartition>();

  constructor(id: number, now: number) {
    this.id = id;
    this.epoch = INITIAL_EPOCH + 1;
    this.lastUsedMs = now;
  }
}

export type SessionLookup =
  | { kind: 'sessionless' }
  | { kind: 'new' }
  | { kind: 'incremental'; session: FetchSession }
  | { kind: 'error'; errorCode: number };

export class FetchSessionCache {
  readonly #sessions = new Map<number, FetchSession>();
  readonly #maxSessions: number;

  constructor(maxSessions: number) {
    this.#maxSessions = maxSessions;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Classifies a request by its session id and epoch; closes the session on FINAL_EPOCH. */
  lookup(sessionId: number, epoch: number, now: number): SessionLookup {
    if (epoch === FINAL_EPOCH) {
      if (sessionId !== 0) this.#sessions.delete(sessionId);
      return { kind: 'sessionless' };
    }
    if (epoch === INITIAL_EPOCH) {
      // A new full session replaces the one the client had, if any.
      if (sessionId !== 0) this.#sessions.delete(sessionId);
      return { kind: 'new' };
    }
    const session = this.#sessions.get(sessionId);
    if (!session) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    session.lastUsedMs = now;
    // Keep the map in least-recently-used order.
    this.#sessions.delete(sessionId);
    this.#sessions.set(sessionId, session);
    return { kind: 'incremental', session };
  }

  /** A new session, or null when the cache is full of sessions too recently used to evict. */
  create(now: number): FetchSession | null {
    if (this.#maxSessions <= 0) return null;
    if (this.#sessions.size >= this.#maxSessions) {
      const [oldestId, oldest] = this.#sessions.entries().next().value as [number, FetchSession];
      if (now - oldest.lastUsedMs < SESSION_EVICTION_MS) return null;
      this.#sessions.delete(oldestId);
    }
    let id: number;
    do id = randomInt(1, 2 ** 31 - 1);
    while (this.#sessions.has(id));
    const session = new FetchSession(id, now);
    this.#sessions.set(id, session);
    return session;
  }

  remove(id: number): void {
    this.#sessions.delete(id);
  }
}
