import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { BrokerConfig, ConfigError } from '../cluster/config.js';
import { Controller } from '../cluster/controller.js';
import { LocalMetadataStore } from '../cluster/local-metadata-store.js';
import type { Logger } from '../core/log.js';
import { BrokerMetrics } from '../core/metrics.js';
import { createHandlers } from '../handlers/index.js';
import type { AdvertisedListener, BrokerServices } from '../handlers/types.js';
import { openStorageLog, reconfigureStorageLog } from '../replica/storage-log.js';
import { ReplicaManager } from '../replica/replica-manager.js';
import { LogManager } from '../storage/log-manager.js';
import { txnApis } from '../txn/apis.js';
import { TxnRuntime } from '../txn/runtime.js';
import { logConfigFor } from '../cluster/topic-config.js';
import { createDispatcher, warmCodecs } from './dispatcher.js';
import { Listener } from './listener.js';

/** Requests read from one connection and not yet answered, before reading stops. */
export const CONNECTION_IN_FLIGHT_MAX = 64;
/** Unsent response bytes on one connection before reading from it stops. */
export const CONNECTION_WRITE_BUFFER_MAX = 16 * 1024 * 1024;

export interface ListenerSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** Parses Kafka's `listeners` syntax: NAME://host:port[,NAME://host:port]. */
export function parseListeners(value: readonly string[]): ListenerSpec[] {
  return value.map((entry) => {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(entry);
    if (!m) throw new ConfigError(`listener '${entry}' is not NAME://host:port`);
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(`listener '${entry}' has port out of range`);
    return { name: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * A single-node broker: metadata store, replicas, controller and the listeners serving the
 * Kafka protocol. start() opens everything; stop() is the graceful path (stop accepting,
 * answer what was read, flush, close the logs).
 */
export class Broker {
  readonly config: BrokerConfig;
  readonly log: Logger;
  #listeners: Listener[] = [];
  #store: LocalMetadataStore | null = null;
  #replicas: ReplicaManager | null = null;
  #logs: LogManager | null = null;
  #txn: TxnRuntime | null = null;
  #services: BrokerServices | null = null;
  #stopping: Promise<void> | null = null;
  /** Counters read by the admin server's /metrics. */
  readonly metrics = new BrokerMetrics();

  constructor(config: BrokerConfig, log: Logger) {
    this.config = config;
    this.log = log;
  }

  get services(): BrokerServices {
    if (!this.#services) throw new Error('broker not started');
    return this.#services;
  }

  /** Client connections open now, by listener name. */
  connectionCounts(): { listener: string; count: number }[] {
    return this.#listeners.map((l) => ({ listener: l.name, count: l.connectionCount }));
  }

  /** True once start() has bound every listener, false again once stop() begins. */
  get serving(): boolean {
    return this.#listeners.length > 0 && this.#stopping === null && this.metrics.startedAt > 0;
  }

  /** False while `__transaction_state` is being replayed (transactional requests wait for it). */
  get transactionsLoaded(): boolean {
    return this.#txn?.loaded ?? false;
  }

  /** The bound port of each listener, in `listeners` order. */
  get ports(): number[] {
    return this.#listeners.map((l) => l.port);
  }

  async start(): Promise<void> {
    const config = this.config;
    const dataDir = config.logDirs()[0]!;
    mkdirSync(dataDir, { recursive: true });
    const store = await LocalMetadataStore.open(dataDir);
    this.#store = store;
    for (const [k, v] of Object.entries(store.brokerConfigs())) config.setDynamic(k, v);
    const nodeId = config.nodeId();
    const txn = new TxnRuntime(dataDir, { producerIdExpirationMs: producerIdExpirationMs(config) });
    this.#txn = txn;
    const logs = new LogManager({
      dir: dataDir,
      producerStateFor: (topic, partition) => txn.producerStates.create(topic, partition),
      nodeId,
      clusterId: store.clusterId,
      configFor: (topic) => logConfigFor(store.topic(topic)?.configs ?? {}, config),
      logger: this.log,
      retentionCheckIntervalMs: config.int('log.retention.check.interval.ms'),
      cleaner: {
        enable: config.bool('log.cleaner.enable'),
        backoffMs: config.int('log.cleaner.backoff.ms'),
        dedupeBufferBytes: config.int('log.cleaner.dedupe.buffer.size'),
      },
      recoveryConcurrency: config.int('num.recovery.threads.per.data.dir'),
    });
    this.#logs = logs;
    await logs.open();
    const replicas = new ReplicaManager(
      nodeId,
      (topic, partition) => openStorageLog(logs, topic, partition, config),
      (topic, log) => reconfigureStorageLog(log, topic, config),
      this.log,
    );
    this.#replicas = replicas;
    const listenerSpecs = parseListeners(config.list('listeners'));
    const advertised: AdvertisedListener[] = [];
    const services: BrokerServices = {
      config,
      metadata: store,
      replicas,
      logger: this.log,
      metrics: this.metrics,
      advertisedListeners: advertised,
      controller: new Controller(store, config, replicas, this.log),
    };
    this.#services = services;
    await services.controller.startup();
    txn.start(services);
    // As Kafka's coordinators do at start, replay __consumer_offsets when it exists, instead of at
    // the first group request (loaded lazily: a broker without groups never loads the group code).
    if (store.topic('__consumer_offsets') !== undefined)
      import('../group/offsets-topic.js')
        .then((m) => m.groupRuntime(services))
        .catch((err: unknown) =>
          this.log.error({ err: String(err) }, 'starting the group coordinator failed'),
        );
    const handlers = createHandlers(txnApis(txn));
    const dispatch = createDispatcher(new Map(handlers.map((h) => [h.apiKey, h])), services, this.log);
    const bounds = {
      requestMaxBytes: config.int('socket.request.max.bytes'),
      inFlightMax: CONNECTION_IN_FLIGHT_MAX,
      idleMs: config.int('connections.max.idle.ms'),
      writeBufferMax: CONNECTION_WRITE_BUFFER_MAX,
    };
    const maxConnections = config.int('max.connections');
    for (const spec of listenerSpecs) {
      const listener = new Listener({ ...spec, maxConnections, bounds }, dispatch, this.log);
      await listener.listen();
      this.#listeners.push(listener);
    }
    advertised.push(...this.#advertise(listenerSpecs));
    this.metrics.startedAt = Date.now();
    // Codecs load on first use; the common APIs' load now, in the background, one per loop turn.
    void warmCodecs();
  }

  /** advertised.listeners, defaulting to `listeners` with the bound ports (port 0 picks one). */
  #advertise(specs: ListenerSpec[]): AdvertisedListener[] {
    const configured = this.config.list('advertised.listeners');
    const source = configured.length > 0 ? parseListeners(configured) : specs;
    return source.map((s) => {
      const bound = this.#listeners.find((l) => l.name === s.name);
      const port = s.port === 0 && bound ? bound.port : s.port;
      const host = s.host === '' || s.host === '0.0.0.0' || s.host === '::' ? hostname() : s.host;
      return { name: s.name, host, port, securityProtocol: s.name };
    });
  }

  onFirstConnection(cb: () => void): void {
    const first = this.#listeners[0];
    if (first) first.onFirstConnection = cb;
  }

  /** Graceful stop: no new connections, in-flight requests answered, logs flushed and closed. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const closed = Promise.all(this.#listeners.map((l) => l.stopAccepting()));
    // Parked fetches answer now with what they have, so draining does not wait max_wait_ms.
    this.#replicas?.purgatory.close();
    await Promise.all(this.#listeners.map((l) => l.drainConnections()));
    for (const l of this.#listeners) l.closeConnections();
    if (this.#services?.groups?.close) await this.#services.groups.close();
    this.#txn?.close();
    if (this.#replicas) {
      await this.#replicas.flushAll();
      await this.#replicas.closeAll();
    }
    if (this.#logs) await this.#logs.close();
    if (this.#store) await this.#store.close();
    for (const l of this.#listeners) l.destroyConnections();
    await closed;
  }
}

export { BrokerConfig };

/** producer.id.expiration.ms (Kafka 4.0 default one day). */
function producerIdExpirationMs(config: BrokerConfig): number {
  try {
    return config.intOrNull('producer.id.expiration.ms') ?? 86_400_000;
  } catch {
    return 86_400_000;
  }
}
