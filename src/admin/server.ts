/**
 * The admin HTTP server (`admin.listener`, off by default): Prometheus /metrics, /health (the
 * process answers) and /ready (the broker serves clients, `__consumer_offsets` and `__transaction_state` loaded). Loopback by default; it has no
 * authentication, so bind it to an address only trusted scrapers reach.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../core/log.js';
import { groupsLoaded, OFFSETS_TOPIC } from '../group/offsets-topic.js';
import { TRANSACTION_STATE_TOPIC } from '../txn/coordinator.js';
import type { Broker } from '../server/broker.js';
import { renderMetrics } from './prometheus.js';

/** Admin connections open at once; more are refused (scrapers and probes need few). */
export const ADMIN_CONNECTIONS_MAX = 32;
/** A request's headers must arrive within this (slow clients do not hold a socket). */
export const ADMIN_HEADERS_TIMEOUT_MS = 5_000;

/** Parses admin.listener's `host:port` (`[v6]:port` for IPv6); null when empty (off). */
export function parseAdminListener(value: string | null): { host: string; port: number } | null {
  if (value === null || value.trim() === '') return null;
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(value.trim());
  if (!m) throw new Error(`admin.listener '${value}' is not host:port`);
  return { host: m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) };
}

/** node:http, imported by startAdmin only when admin.listener is set (it is off by default). */
let http: typeof import('node:http');

export class AdminServer {
  readonly #server: Server;
  readonly #broker: Broker;
  readonly #log: Logger;
  #port = 0;
  #host = '';
  #closing: Promise<void> | null = null;

  constructor(broker: Broker, log: Logger) {
    this.#broker = broker;
    this.#log = log;
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    this.#server.maxConnections = ADMIN_CONNECTIONS_MAX;
    this.#server.headersTimeout = ADMIN_HEADERS_TIMEOUT_MS;
    this.#server.requestTimeout = ADMIN_HEADERS_TIMEOUT_MS * 2;
    this.#server.keepAliveTimeout = 5_000;
  }

  get port(): number {
    return this.#port;
  }

  /** http://host:port of the server, once listening. */
  get url(): string {
    return `http://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${this.#port}`;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (err) => this.#log.error({ err }, 'admin server error'));
        const address = this.#server.address();
        this.#port = typeof address === 'object' && address ? address.port : port;
        this.#host = host;
        resolve();
      });
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'only GET\n', { allow: 'GET, HEAD' });
      return;
    }
    try {
      switch (path) {
        case '/metrics':
          send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(this.#broker));
          return;
        case '/health':
          send(res, 200, 'application/json', '{"status":"ok"}\n');
          return;
        case '/ready': {
          const waiting = this.#notReadyReason();
          if (waiting === null) send(res, 200, 'application/json', '{"status":"ready"}\n');
          else
            send(
              res,
              503,
              'application/json',
              `${JSON.stringify({ status: 'not ready', reason: waiting })}\n`,
            );
          return;
        }
        default:
          send(res, 404, 'text/plain', 'not found; try /metrics, /health or /ready\n');
      }
    } catch (err) {
      this.#log.error({ err, path }, 'admin request failed');
      send(res, 500, 'text/plain', 'internal error\n');
    }
  }

  /**
   * Why the broker cannot serve every client yet, or null: listeners not bound (starting or
   * stopping), or a coordinator still replaying its internal topic, where Kafka's coordinators
   * answer COORDINATOR_LOAD_IN_PROGRESS.
   */
  #notReadyReason(): string | null {
    if (!this.#broker.serving) return 'not serving';
    if (!groupsLoaded(this.#broker.services)) return `loading ${OFFSETS_TOPIC}`;
    if (!this.#broker.transactionsLoaded) return `loading ${TRANSACTION_STATE_TOPIC}`;
    return null;
  }

  /** Stops listening and closes every admin connection (idempotent). */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Starts the admin server when `admin.listener` is set; null when it is off. */
export async function startAdmin(broker: Broker, log: Logger): Promise<AdminServer | null> {
  const spec = parseAdminListener(broker.config.get('admin.listener'));
  if (spec === null) return null;
  http ??= await import('node:http');
  const admin = new AdminServer(broker, log);
  await admin.listen(spec.host, spec.port);
  return admin;
}
