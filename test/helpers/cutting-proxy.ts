import { connect, createServer, type Server, type Socket } from 'node:net';

/** Bound on bytes buffered per direction while looking for frame boundaries. */
const PROXY_BUFFER_MAX = 64 << 20;

/**
 * A TCP proxy in front of a broker that can cut a connection mid-flight: armed with `cutNextProduce()`,
 * it forwards the next Produce request, waits for the broker's response to it (so the batch is
 * written), drops that response and closes both sides. The producer then retries a batch the broker
 * already holds.
 */
export class CuttingProxy {
  readonly #server: Server;
  #target = 0;
  #armed = 0;
  /** Connections cut after the broker answered a Produce request. */
  cuts = 0;

  constructor() {
    this.#server = createServer((client) => this.#handle(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((res) => this.#server.listen(0, '127.0.0.1', res));
    const addr = this.#server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    return addr.port;
  }

  set target(port: number) {
    this.#target = port;
  }

  /** Cut the connection carrying the next `n` Produce requests, each after the broker answered it. */
  cutNextProduce(n = 1): void {
    this.#armed += n;
  }

  close(): Promise<void> {
    return new Promise((res) => this.#server.close(() => res()));
  }

  #handle(client: Socket): void {
    const upstream = connect(this.#target, '127.0.0.1');
    const doomed = new Set<number>();
    let up = Buffer.alloc(0);
    let down = Buffer.alloc(0);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', kill);
    upstream.on('error', kill);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      up = Buffer.concat([up, chunk]);
      if (up.length > PROXY_BUFFER_MAX) return kill();
      while (up.length >= 4 && up.length >= 4 + up.readInt32BE(0)) {
        const size = up.readInt32BE(0);
        const apiKey = up.readInt16BE(4);
        if (apiKey === 0 && this.#armed > 0) {
          this.#armed--;
          doomed.add(up.readInt32BE(8));
        }
        upstream.write(up.subarray(0, 4 + size));
        up = up.subarray(4 + size);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      down = Buffer.concat([down, chunk]);
      if (down.length > PROXY_BUFFER_MAX) return kill();
      while (down.length >= 8 && down.length >= 4 + down.readInt32BE(0)) {
        const size = down.readInt32BE(0);
        if (doomed.has(down.readInt32BE(4))) {
          this.cuts++;
          kill();
          return;
        }
        client.write(down.subarray(0, 4 + size));
        down = down.subarray(4 + size);
      }
    });
  }
}
