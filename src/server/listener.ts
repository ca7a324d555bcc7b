import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../core/log.js';
import { Connection, type ConnectionBounds, type FrameDispatcher } from './connection.js';

export interface ListenerOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** max.connections: accepted sockets beyond this are closed at once. */
  readonly maxConnections: number;
  readonly bounds: ConnectionBounds;
}

/** A TCP listener (one entry of `listeners`) and the connections it accepted. */
export class Listener {
  readonly name: string;
  readonly #options: ListenerOptions;
  readonly #server: Server;
  readonly #log: Logger;
  readonly #dispatch: FrameDispatcher;
  readonly #connections = new Set<Connection>();
  #nextId = 0;
  #port = 0;
  /** Called once on the first accepted connection (for the start-up measurement). */
  onFirstConnection: (() => void) | null = null;

  constructor(options: ListenerOptions, dispatch: FrameDispatcher, log: Logger) {
    this.name = options.name;
    this.#options = options;
    this.#dispatch = dispatch;
    this.#log = log;
    this.#server = // Half-open: a client may send its last requests and close its side (acks=0 producers do);
      // what it sent is still handled before the broker closes its side.
      this.#server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.#accept(socket));
    this.#server.on('error', (err) => log.error({ err, listener: this.name }, 'listener error'));
  }

  get port(): number {
    return this.#port;
  }

  get host(): string {
    return this.#options.host;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', onError);
        const address = this.#server.address();
        this.#port = typeof address === 'object' && address ? address.port : this.#options.port;
        resolve(this.#port);
      });
    });
  }

  #accept(socket: Socket): void {
    if (this.onFirstConnection) {
      const cb = this.onFirstConnection;
      this.onFirstConnection = null;
      cb();
    }
    if (this.#connections.size >= this.#options.maxConnections) {
      this.#log.warn(
        {
          listener: this.name,
          remote: `${socket.remoteAddress}:${socket.remotePort}`,
          max: this.#options.maxConnections,
        },
        'refusing connection: max.connections reached',
      );
      socket.destroy();
      return;
    }
    const id = `${this.name}-${socket.localPort}-${socket.remoteAddress}:${socket.remotePort}-${this.#nextId++}`;
    const conn = new Connection(id, socket, this.name, this.#dispatch, this.#options.bounds, this.#log, (c) =>
      this.#connections.delete(c),
    );
    this.#connections.add(conn);
  }

  /** Stops accepting; existing connections keep being served. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Stops reading from every connection and waits until each has answered what it read. */
  async drainConnections(): Promise<void> {
    await Promise.all([...this.#connections].map((c) => c.drain()));
  }

  closeConnections(): void {
    for (const c of this.#connections) c.end();
  }

  destroyConnections(): void {
    for (const c of this.#connections) c.close();
  }
}
