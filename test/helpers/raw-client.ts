import { Socket } from 'node:net';

/**
 * A bare TCP client for protocol tests: sends raw bytes, splits responses on their 4-byte
 * size prefix, and reports when the broker closes the connection.
 */
export class RawClient {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  readonly #frames: Buffer[] = [];
  #waiters: (() => void)[] = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      while (this.#buffer.length >= 4) {
        const size = this.#buffer.readInt32BE(0);
        if (this.#buffer.length < 4 + size) break;
        this.#frames.push(this.#buffer.subarray(4, 4 + size));
        this.#buffer = this.#buffer.subarray(4 + size);
      }
      this.#notify();
    });
    this.closedPromise = new Promise((res) => {
      socket.on('close', () => {
        this.closed = true;
        this.#notify();
        res();
      });
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((res, rej) => {
      const s = new Socket();
      s.once('error', rej);
      s.connect(port, '127.0.0.1', () => {
        s.off('error', rej);
        res(new RawClient(s));
      });
    });
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  write(bytes: Buffer): void {
    this.#socket.write(bytes);
  }

  /** Sends a frame: size prefix + body. */
  send(body: Buffer): void {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(body.length, 0);
    this.#socket.write(Buffer.concat([prefix, body]));
  }

  /** The next response frame, or null if the connection closes first. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      const f = this.#frames.shift();
      if (f) return f;
      if (this.closed) return null;
      await new Promise<void>((res) => this.#waiters.push(res));
    }
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/** A request header v1 (int16 key, int16 version, int32 correlation id, nullable string client id). */
export function requestHeaderV1(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId = 'test',
): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const b = Buffer.alloc(10 + id.length);
  b.writeInt16BE(apiKey, 0);
  b.writeInt16BE(apiVersion, 2);
  b.writeInt32BE(correlationId, 4);
  b.writeInt16BE(id.length, 8);
  id.copy(b, 10);
  return b;
}
