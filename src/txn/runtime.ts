/**
 * Idempotence and transactions as the broker runs them: the producer id allocator, the
 * per-partition producer states (handed to the LogManager), the KIP-890 verification hook of the
 * produce path and the timers (transaction timeouts, transactional id and producer id expiration).
 * The transaction coordinator (coordinator-host.ts) loads at the first transactional request, or
 * at start when `__transaction_state` exists: every log needs its producer state when it opens,
 * but a broker without transactions never needs the coordinator.
 */
import { ErrorCode } from '../errors.js';
import type { BrokerServices } from '../handlers/types.js';
import type { TransactionCoordinator } from './coordinator.js';
import type { TxnCoordinatorHost } from './coordinator-host.js';
import { ProducerIdManager } from './producer-id-manager.js';
import { ProducerStateRegistry } from './producer-state-manager.js';

/** coordinator.ts's name for the topic, typed so the two cannot drift, without loading it. */
const TRANSACTION_STATE_TOPIC: typeof import('./coordinator.js').TRANSACTION_STATE_TOPIC =
  '__transaction_state';

export function configNumber(services: BrokerServices, name: string, fallback: number): number {
  try {
    return services.config.intOrNull(name) ?? fallback;
  } catch {
    return fallback;
  }
}

export class TxnRuntime {
  readonly producerStates: ProducerStateRegistry;
  readonly producerIds: ProducerIdManager;
  #services: BrokerServices | null = null;
  #host: TxnCoordinatorHost | null = null;
  #loadingHost: Promise<TxnCoordinatorHost> | null = null;
  #timers: NodeJS.Timeout[] = [];

  constructor(dataDir: string, options: { producerIdExpirationMs?: number } = {}) {
    this.producerIds = new ProducerIdManager(dataDir);
    this.producerStates = new ProducerStateRegistry({
      producerIdExpirationMs: options.producerIdExpirationMs,
      // Before the coordinator exists no transaction can be open: refuse transactional batches.
      verifyTransaction: (producerId, epoch, topic, partition) => {
        const coordinator = this.#coordinator();
        return coordinator === null
          ? this.#services?.metadata.topic(TRANSACTION_STATE_TOPIC) === undefined
            ? ErrorCode.INVALID_TXN_STATE
            : ErrorCode.NOT_ENOUGH_REPLICAS
          : coordinator.verifyProduce(producerId, epoch, topic, partition);
      },
    });
  }

  /** Called once the broker's services exist; loads `__transaction_state` when it is there already. */
  start(services: BrokerServices): void {
    this.#services = services;
    if (services.metadata.topic(TRANSACTION_STATE_TOPIC) !== undefined)
      this.coordinatorHost()
        .then((host) => host.coordinator())
        .catch((err: unknown) =>
          services.logger.error({ err: String(err) }, 'starting the transaction coordinator failed'),
        );
    const cleanupMs = configNumber(
      services,
      'transaction.abort.timed.out.transaction.cleanup.interval.ms',
      10_000,
    );
    const expiryMs = configNumber(services, 'transactional.id.expiration.check.interval.ms', 3_600_000);
    const producerExpiryMs = configNumber(services, 'producer.id.expiration.check.interval.ms', 600_000);
    const every = (ms: number, fn: () => Promise<unknown> | unknown, what: string) => {
      const t = setInterval(() => {
        Promise.resolve()
          .then(fn)
          .catch((err: unknown) => services.logger.error({ err: String(err) }, `${what} failed`));
      }, ms);
      t.unref();
      this.#timers.push(t);
    };
    every(cleanupMs, () => this.#coordinator()?.abortTimedOut(), 'aborting timed-out transactions');
    every(expiryMs, () => this.#coordinator()?.expireTransactionalIds(), 'transactional id expiration');
    every(producerExpiryMs, () => this.producerStates.removeExpired(Date.now()), 'producer id expiration');
  }

  /** The coordinator's host, its module loaded on first use (a failed load is retried by the next caller). */
  coordinatorHost(): Promise<TxnCoordinatorHost> {
    if (this.#loadingHost === null) {
      const services = this.#services;
      if (services === null) return Promise.reject(new Error('transactions not started'));
      this.#loadingHost = import('./coordinator-host.js').then(
        (m) => {
          this.#host ??= new m.TxnCoordinatorHost(this, services);
          return this.#host;
        },
        (err: unknown) => {
          this.#loadingHost = null;
          throw err;
        },
      );
    }
    return this.#loadingHost;
  }

  #coordinator(): TransactionCoordinator | null {
    return this.#host?.existingCoordinator() ?? null;
  }

  /** A new producer id (an idempotent producer needs no coordinator). */
  generateProducerId(): number {
    return this.producerIds.generate();
  }

  /**
   * Whether transactional requests are served without COORDINATOR_LOAD_IN_PROGRESS: true without
   * `__transaction_state` (nothing to load), else once the coordinator replayed it.
   */
  get loaded(): boolean {
    const coordinator = this.#coordinator();
    if (coordinator !== null) return coordinator.isLoaded;
    return this.#services?.metadata.topic(TRANSACTION_STATE_TOPIC) === undefined;
  }

  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }
}
