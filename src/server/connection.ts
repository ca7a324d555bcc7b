import type { Socket } from 'node:net';
import { assert } from '../core/assert.js';
import type { Logger } from '../core/log.js';

/**
 * What a connection asks of the broker for each complete request frame: the response frame's
 * chunks (4-byte size, header and body, written as they are), `null` when Kafka sends no
 * response (Produce acks=0), or a thrown/rejected error, which closes the connection as Kafka
 * does for requests it cannot parse.
 */
export type FrameDispatcher = (frame: Buffer, conn: Connection) => Promise<Buffer[] | null> | Buffer[] | null;

export interface ConnectionBounds {
  /** socket.request.max.bytes: checked against the size prefix before anything is allocated. */
  readonly requestMaxBytes: number;
  /** Requests read but not yet answered; reading stops at this many (backpressure). */
  readonly inFlightMax: number;
  /** connections.max.idle.ms: a connection without requests for this long is closed. */
  readonly idleMs: number;
  /** Unsent response bytes above which reading stops until the socket drains. */
  readonly writeBufferMax: number;
}

/** Thrown by a dispatcher for a request that must close its connection (Kafka's InvalidRequestException path). */
export class CloseConnection extends Error {
  override name = 'CloseConnection';
}

const SIZE_PREFIX = 4;
/** Response chunks up to this size are copied into a shared write buffer; bigger ones go by reference. */
const COALESCE_CHUNK_MAX_BYTES = 4096;
/** Largest buffer small response chunks are copied into before it is written. */
const COALESCE_MAX_BYTES = 65536;

/** One buffer of `chunks` (`bytes` in all); empties `chunks`. */
function joinChunks(chunks: Buffer[], bytes: number): Buffer {
  const out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
  chunks.length = 0;
  return out;
}

interface Slot {
  done: boolean;
  response: Buffer[] | null;
}

/**
 * One client connection: 4-byte size framing, requests pipelined (handled concurrently),
 * responses written strictly in request order, a bound on requests in flight.
 */
export class Connection {
  readonly id: string;
  readonly remote: string;
  readonly listenerName: string;
  /**
   * The last client id a request on this connection carried, as bytes and as the decoded string:
   * a client sends the same one on every request, so the dispatcher compares bytes instead of
   * decoding a new string per request. Owned by the dispatcher.
   */
  clientIdCache: { readonly bytes: Buffer; readonly value: string } | null = null;
  readonly #socket: Socket;
  readonly #dispatch: FrameDispatcher;
  readonly #bounds: ConnectionBounds;
  readonly #log: Logger;
  readonly #onClose: (conn: Connection) => void;

  /** Bytes received but not yet consumed as frames; chunks kept as they came (no copy). */
  #chunks: Buffer[] = [];
  /** Bytes of the first chunk already consumed (an offset, not a re-slice: a Buffer view costs ~0.1 µs). */
  #headOffset = 0;
  #buffered = 0;
  /** Size of the frame being assembled, -1 while waiting for a size prefix. */
  #frameSize = -1;
  /** Responses in request order; the head is written as soon as it is done. */
  readonly #pending: Slot[] = [];
  #pausedForInFlight = false;
  #pausedForWrite = false;
  #draining = false;
  #closed = false;
  /** The client closed its side; no more bytes will come. */
  #readEnded = false;
  /** A flush is scheduled for the end of this event-loop turn. */
  #flushScheduled = false;
  #drainWaiters: (() => void)[] = [];
  /** Small response chunks being gathered for one write (reused; emptied by each write). */
  readonly #coalesce: Buffer[] = [];

  constructor(
    id: string,
    socket: Socket,
    listenerName: string,
    dispatch: FrameDispatcher,
    bounds: ConnectionBounds,
    log: Logger,
    onClose: (conn: Connection) => void,
  ) {
    this.id = id;
    this.#socket = socket;
    this.listenerName = listenerName;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.#dispatch = dispatch;
    this.#bounds = bounds;
    this.#log = log;
    this.#onClose = onClose;
    socket.setNoDelay(true);
    socket.setTimeout(bounds.idleMs);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('timeout', () => {
      // A parked fetch is activity; only a connection with nothing in flight is idle.
      if (this.#pending.length === 0) {
        this.#log.debug({ connection: this.id, remote: this.remote }, 'closing idle connection');
        this.close();
      }
    });
    socket.on('drain', () => {
      if (this.#pausedForWrite) {
        this.#pausedForWrite = false;
        this.#maybeResume();
      }
    });
    socket.on('error', (err) => {
      this.#log.debug({ connection: this.id, remote: this.remote, err: err.message }, 'connection error');
    });
    socket.on('end', () => {
      // The client is done sending; answer what it sent, then close our side.
      this.#readEnded = true;
      this.#endIfDone();
    });
    socket.on('close', () => this.#finish());
  }

  get inFlight(): number {
    return this.#pending.length;
  }

  /** Stops reading requests; resolves once every request already read has been answered. */
  drain(): Promise<void> {
    this.#draining = true;
    this.#socket.pause();
    if (this.#pending.length === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  close(): void {
    if (this.#closed) return;
    this.#socket.destroy();
    this.#finish();
  }

  /** Closes after writing what is already queued on the socket. */
  end(): void {
    if (this.#closed) return;
    this.#socket.end();
  }

  /** After the client's end: once every request read is answered, close our side too. */
  #endIfDone(): void {
    if (!this.#readEnded || this.#closed) return;
    this.#readFrames();
    if (this.#pending.length === 0) this.#socket.end();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    this.#headOffset = 0;
    this.#buffered = 0;
    for (const w of this.#drainWaiters.splice(0)) w();
    this.#onClose(this);
  }

  #onData(chunk: Buffer): void {
    if (this.#closed || this.#draining) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#readFrames();
  }

  #readFrames(): void {
    while (!this.#closed && !this.#draining && !this.#pausedForWrite) {
      if (this.#pending.length >= this.#bounds.inFlightMax) {
        // Backpressure: stop reading; the frames already buffered wait for a free slot.
        if (!this.#pausedForInFlight) {
          this.#pausedForInFlight = true;
          this.#socket.pause();
        }
        return;
      }
      if (this.#frameSize < 0) {
        if (this.#buffered < SIZE_PREFIX) return;
        const size = this.#peekInt32();
        if (size < 0 || size > this.#bounds.requestMaxBytes) {
          this.#log.warn(
            { connection: this.id, remote: this.remote, size, max: this.#bounds.requestMaxBytes },
            'closing connection: request size out of bounds (socket.request.max.bytes)',
          );
          this.close();
          return;
        }
        this.#skip(SIZE_PREFIX);
        this.#frameSize = size;
      }
      if (this.#buffered < this.#frameSize) return;
      const frame = this.#consume(this.#frameSize);
      this.#frameSize = -1;
      this.#startRequest(frame);
    }
  }

  #peekInt32(): number {
    const first = this.#chunks[0]!;
    const at = this.#headOffset;
    if (first.length - at >= SIZE_PREFIX) return first.readInt32BE(at);
    const head = Buffer.concat(this.#chunks, at + SIZE_PREFIX);
    return head.readInt32BE(at);
  }

  /** Drops n bytes off the front (a size prefix): no view is made of them. */
  #skip(n: number): void {
    assert(n <= this.#buffered, 'skip beyond buffered bytes');
    this.#buffered -= n;
    let left = n;
    while (left > 0) {
      const c = this.#chunks[0]!;
      const avail = c.length - this.#headOffset;
      if (avail > left) {
        this.#headOffset += left;
        return;
      }
      left -= avail;
      this.#chunks.shift();
      this.#headOffset = 0;
    }
  }

  /** Takes n bytes off the front; a view when they lie in one chunk, one copy otherwise. */
  #consume(n: number): Buffer {
    assert(n <= this.#buffered, 'consume beyond buffered bytes');
    this.#buffered -= n;
    const first = this.#chunks[0];
    const at = this.#headOffset;
    if (first && first.length - at >= n) {
      const out = first.subarray(at, at + n);
      if (first.length - at === n) {
        this.#chunks.shift();
        this.#headOffset = 0;
      } else {
        this.#headOffset = at + n;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let pos = 0;
    while (pos < n) {
      const c = this.#chunks[0]!;
      const from = this.#headOffset;
      const take = Math.min(c.length - from, n - pos);
      c.copy(out, pos, from, from + take);
      pos += take;
      if (from + take === c.length) {
        this.#chunks.shift();
        this.#headOffset = 0;
      } else {
        this.#headOffset = from + take;
      }
    }
    return out;
  }

  #startRequest(frame: Buffer): void {
    const slot: Slot = { done: false, response: null };
    this.#pending.push(slot);
    let result: Promise<Buffer[] | null> | Buffer[] | null;
    try {
      result = this.#dispatch(frame, this);
    } catch (err) {
      this.#fail(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => this.#complete(slot, response),
        (err) => this.#fail(err),
      );
    } else {
      this.#complete(slot, result);
    }
  }

  #fail(err: unknown): void {
    if (this.#closed) return;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof CloseConnection) {
      this.#log.warn({ connection: this.id, remote: this.remote, reason: message }, 'closing connection');
    } else {
      this.#log.error(
        { connection: this.id, remote: this.remote, err },
        'request failed; closing connection',
      );
    }
    this.close();
  }

  #complete(slot: Slot, response: Buffer[] | null): void {
    if (this.#closed) return;
    slot.done = true;
    slot.response = response;
    // Responses finished in the same event-loop turn go out in one writev (one syscall).
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        if (!this.#closed) this.#flush();
      });
    }
  }

  #flush(): void {
    let wrote = false;
    // Small responses (a produce answer is ~60 bytes) are copied into one buffer and written with
    // one socket.write: a write per chunk cost more in stream bookkeeping than the copy. Bigger
    // chunks (fetched records) go by reference.
    const small = this.#coalesce;
    let smallBytes = 0;
    while (this.#pending.length > 0 && this.#pending[0]!.done) {
      const slot = this.#pending.shift()!;
      const chunks = slot.response;
      if (chunks === null) continue;
      if (!wrote) {
        this.#socket.cork();
        wrote = true;
      }
      // The dispatcher's frames carry their own size prefix.
      for (const c of chunks) {
        if (c.length <= COALESCE_CHUNK_MAX_BYTES && smallBytes + c.length <= COALESCE_MAX_BYTES) {
          small.push(c);
          smallBytes += c.length;
          continue;
        }
        if (smallBytes > 0) {
          this.#socket.write(joinChunks(small, smallBytes));
          smallBytes = 0;
        }
        if (c.length <= COALESCE_CHUNK_MAX_BYTES) {
          small.push(c);
          smallBytes = c.length;
        } else {
          this.#socket.write(c);
        }
      }
    }
    if (smallBytes > 0) this.#socket.write(joinChunks(small, smallBytes));
    if (wrote) {
      this.#socket.uncork();
      if (this.#socket.writableLength > this.#bounds.writeBufferMax && !this.#pausedForWrite) {
        this.#pausedForWrite = true;
        this.#socket.pause();
      }
    }
    if (this.#pending.length === 0 && this.#drainWaiters.length > 0) {
      for (const w of this.#drainWaiters.splice(0)) w();
    }
    if (this.#pausedForInFlight && this.#pending.length < this.#bounds.inFlightMax) {
      this.#pausedForInFlight = false;
      this.#maybeResume();
    }
    this.#endIfDone();
  }

  #maybeResume(): void {
    if (this.#closed || this.#draining || this.#pausedForInFlight || this.#pausedForWrite) return;
    this.#readFrames();
    if (!this.#pausedForInFlight && !this.#closed && !this.#draining) this.#socket.resume();
  }
}
