import { Socket } from 'node:net';
import { type ApiDescriptor, ApiKey, apiByKey } from '../protocol/generated/apis.js';
import type { ApiVersionsResponse } from '../protocol/generated/api-versions-response.js';
import { encodeRequestHeader } from '../protocol/generated/request-header.js';
import { decodeResponseHeader } from '../protocol/generated/response-header.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { ClientError, describeErrorCode } from './errors.js';

/** Bounds and timeouts of one connection. */
export interface ConnectionOptions {
  clientId?: string;
  /** TCP connect + ApiVersions handshake (default 10 s). */
  connectTimeoutMs?: number;
  /** A request without its response after this long fails and closes the connection (default 30 s). */
  requestTimeoutMs?: number;
  /** Requests on the wire awaiting a response (default 5); further sends wait for a slot. */
  maxInFlight?: number;
  /** Sends waiting for an in-flight slot (default 10 000); one more is an error, not a queue. */
  maxQueued?: number;
  /** Largest response frame accepted (default 128 MiB). */
  maxResponseBytes?: number;
}

export const connectionDefaults = {
  clientId: 'gregor-cli',
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxInFlight: 5,
  maxQueued: 10_000,
  maxResponseBytes: 134_217_728,
} as const;

/**
 * Highest version of each API this client implements (it encodes by topic name, not id, so
 * Fetch stays below 13 and Produce below 12). The version used is min(this, broker's max).
 */
const CLIENT_MAX_VERSION: Partial<Record<number, number>> = {
  [ApiKey.Fetch]: 12,
  [ApiKey.Produce]: 11,
  [ApiKey.ApiVersions]: 3,
};

interface Pending {
  correlationId: number;
  api: ApiDescriptor;
  version: number;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One TCP connection to one broker: size-prefixed framing, correlation ids, ApiVersions
 * negotiation (each request at the highest version both sides support), request timeouts and
 * a bounded number of requests in flight. Responses are matched by correlation id; a malformed
 * or unexpected response fails every pending request with a ClientError and closes the socket.
 */
export class Connection {
  readonly host: string;
  readonly port: number;
  readonly #socket: Socket;
  readonly #opts: Required<ConnectionOptions>;
  #nextCorrelationId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #waiting: (() => void)[] = [];
  #chunks: Buffer[] = [];
  #buffered = 0;
  #closedError: ClientError | null = null;
  /** apiKey → [min, max] the broker advertised. */
  readonly brokerVersions = new Map<number, [number, number]>();

  private constructor(socket: Socket, host: string, port: number, opts: Required<ConnectionOptions>) {
    this.#socket = socket;
    this.host = host;
    this.port = port;
    this.#opts = opts;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) =>
      this.#fail(new ClientError(`connection to ${this.address} failed: ${err.message}`)),
    );
    socket.on('close', () =>
      this.#fail(new ClientError(`connection to ${this.address} closed by the broker`)),
    );
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get closed(): boolean {
    return this.#closedError !== null;
  }

  /** Opens a connection and negotiates versions with ApiVersions. */
  static async connect(host: string, port: number, options: ConnectionOptions = {}): Promise<Connection> {
    const opts = { ...connectionDefaults, ...stripUndefined(options) } as Required<ConnectionOptions>;
    const socket = new Socket();
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new ClientError(`cannot connect to ${host}:${port}: no answer in ${opts.connectTimeoutMs} ms`),
        );
      }, opts.connectTimeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(
          new ClientError(
            `cannot connect to ${host}:${port}: ${err.message} — is a broker running there? (check --bootstrap-server)`,
          ),
        );
      });
      socket.connect(port, host, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve();
      });
    });
    const conn = new Connection(socket, host, port, opts);
    try {
      await conn.#negotiate();
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  async #negotiate(): Promise<void> {
    let version: number = CLIENT_MAX_VERSION[ApiKey.ApiVersions]!;
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = (await this.#send(ApiKey.ApiVersions, version, {
        clientSoftwareName: 'gregor-cli',
        clientSoftwareVersion: '0.1.0',
      })) as ApiVersionsResponse;
      if (res.errorCode === 35 && attempt === 0) {
        // UNSUPPORTED_VERSION: the broker answered at v0 with what it supports; retry at its max.
        const own = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
        version = Math.min(version, own?.maxVersion ?? 0);
        continue;
      }
      if (res.errorCode !== 0)
        throw new ClientError(`${this.address}: ApiVersions failed with ${describeErrorCode(res.errorCode)}`);
      for (const k of res.apiKeys) this.brokerVersions.set(k.apiKey, [k.minVersion, k.maxVersion]);
      return;
    }
  }

  /** The version to use for an API: the highest both sides support; throws if there is none. */
  version(apiKey: number): number {
    const api = apiByKey(apiKey);
    const broker = this.brokerVersions.get(apiKey);
    if (!api || !broker)
      throw new ClientError(`the broker at ${this.address} does not support ${api?.name ?? `API ${apiKey}`}`);
    let ours =
      CLIENT_MAX_VERSION[apiKey] ?? (api.latestVersionUnstable ? api.maxVersion - 1 : api.maxVersion);
    ours = Math.min(ours, api.maxVersion);
    const v = Math.min(ours, broker[1]);
    if (v < Math.max(api.minVersion, broker[0]))
      throw new ClientError(
        `the broker at ${this.address} supports ${api.name} v${broker[0]}-${broker[1]}, this client v${api.minVersion}-${ours}`,
      );
    return v;
  }

  /**
   * Sends a request at the negotiated version and resolves with the decoded response body.
   * With `noResponse` (Produce with acks=0) it resolves once the bytes are handed to the socket.
   */
  async request<T>(
    apiKey: number,
    body: unknown,
    opts: { version?: number; noResponse?: boolean; timeoutMs?: number } = {},
  ): Promise<T> {
    const version = opts.version ?? this.version(apiKey);
    while (this.#pending.size >= this.#opts.maxInFlight && !this.#closedError) await this.#slot();
    return (await this.#send(apiKey, version, body, opts.noResponse ?? false, opts.timeoutMs)) as T;
  }

  #slot(): Promise<void> {
    if (this.#waiting.length >= this.#opts.maxQueued)
      return Promise.reject(
        new ClientError(`more than ${this.#opts.maxQueued} requests queued for ${this.address}`),
      );
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #send(
    apiKey: number,
    version: number,
    body: unknown,
    noResponse = false,
    timeoutMs = this.#opts.requestTimeoutMs,
  ): Promise<unknown> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const api = apiByKey(apiKey)!;
    const correlationId = this.#nextCorrelationId;
    this.#nextCorrelationId = (this.#nextCorrelationId + 1) & 0x7fffffff;
    const w = new Writer();
    const size = w.reserveInt32();
    encodeRequestHeader(
      w,
      { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.#opts.clientId },
      api.requestHeaderVersions[version]!,
    );
    api.encodeRequest(w, body, version);
    w.patchInt32(size, w.length - 4);
    const chunks = w.finish();
    const socket = this.#socket;
    socket.cork();
    for (const c of chunks) socket.write(c);
    socket.uncork();
    if (noResponse) {
      // No response will come (Produce acks=0): the socket's buffer is the only backpressure.
      if (!socket.writableNeedDrain) return Promise.resolve(undefined);
      return new Promise((resolve) => socket.once('drain', () => resolve(undefined)));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          new ClientError(
            `${api.name} request to ${this.address} timed out after ${timeoutMs} ms (raise --request-timeout-ms?)`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(correlationId, { correlationId, api, version, resolve, reject, timer });
    });
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered >= 4) {
      const head = this.#chunks[0]!.length >= 4 ? this.#chunks[0]! : this.#flatten();
      const size = head.readInt32BE(0);
      if (size < 4 || size > this.#opts.maxResponseBytes) {
        this.#fail(
          new ClientError(
            `malformed response from ${this.address}: frame size ${size} (limit ${this.#opts.maxResponseBytes})`,
          ),
        );
        return;
      }
      if (this.#buffered < 4 + size) return;
      const all = this.#flatten();
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
      this.#onFrame(frame);
      if (this.#closedError) return;
    }
  }

  #flatten(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
    return this.#chunks[0]!;
  }

  #onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.#pending.get(correlationId);
    if (!p) {
      this.#fail(
        new ClientError(`malformed response from ${this.address}: unknown correlation id ${correlationId}`),
      );
      return;
    }
    this.#pending.delete(correlationId);
    clearTimeout(p.timer);
    let value: unknown;
    try {
      const r = new Reader(frame);
      decodeResponseHeader(r, p.api.responseHeaderVersions[p.version]!);
      value = p.api.decodeResponse(r, p.version);
    } catch (err) {
      // A broker older than our ApiVersions version answers UNSUPPORTED_VERSION in a v0 body.
      const v0 = p.api.apiKey === ApiKey.ApiVersions && p.version > 0 ? apiVersionsV0(frame) : null;
      if (v0) {
        p.resolve(v0);
        return;
      }
      const detail = err instanceof Error ? err.message : String(err);
      const e = new ClientError(
        `malformed ${p.api.name} v${p.version} response from ${this.address}: ${detail}`,
      );
      p.reject(e);
      this.#fail(e);
      return;
    }
    p.resolve(value);
    const next = this.#waiting.shift();
    if (next) next();
  }

  #fail(err: ClientError): void {
    if (this.#closedError) return;
    this.#closedError = err;
    this.#socket.destroy();
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
    // Waiters wake up and find the connection closed.
    for (const w of this.#waiting.splice(0)) w();
  }

  /** Requests awaiting a response. */
  get inFlight(): number {
    return this.#pending.size;
  }

  close(): void {
    this.#fail(new ClientError(`connection to ${this.address} closed`));
  }
}

/** An ApiVersions response read as v0 when it carries UNSUPPORTED_VERSION (35), else null. */
function apiVersionsV0(frame: Buffer): unknown {
  try {
    const r = new Reader(frame);
    decodeResponseHeader(r, 0);
    const res = apiByKey(ApiKey.ApiVersions)!.decodeResponse(r, 0) as { errorCode: number };
    return res.errorCode === 35 ? res : null;
  } catch {
    return null;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Parses "host:port" (IPv6 as "[::1]:9092"); the port defaults to 9092. */
export function parseHostPort(text: string): { host: string; port: number } {
  const s = text.trim();
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m?.[1]) throw new ClientError(`bad broker address '${text}': expected host:port`);
  const port = m[2] === undefined ? 9092 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ClientError(`bad broker address '${text}': port must be 1-65535`);
  return { host: m[1], port };
}
