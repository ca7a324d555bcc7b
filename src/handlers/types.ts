import type { Logger } from '../core/log.js';
import type { BrokerMetrics } from '../core/metrics.js';
import type { BrokerConfig } from '../cluster/config.js';
import type { Controller } from '../cluster/controller.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { ReplicaManager } from '../replica/replica-manager.js';

/**
 * The handler contract. A handler owns one Kafka API: it receives the request body already
 * decoded by the generated codec for the request's version, checks it, calls a service and
 * returns the response body, which the server encodes with the generated codec for the same
 * version. Handlers never touch sockets or files.
 */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds handlers of every message type
export interface ApiHandler<Req = any, Res = any> {
  /** Kafka's api key (e.g. 0 Produce, 1 Fetch, 18 ApiVersions). */
  readonly apiKey: number;
  /** Kafka's name of the API, for logs (e.g. 'Produce'). */
  readonly name: string;
  /**
   * Versions this broker serves. minVersion is the floor Apache Kafka 4.0 keeps (KIP-896);
   * a request below it or above maxVersion closes the connection, as Kafka does, except
   * ApiVersions, which answers UNSUPPORTED_VERSION.
   */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * The minimum version announced in ApiVersions when it differs from minVersion
   * (Kafka 4.0 announces Produce from v0 for librdkafka's sake, KAFKA-18659).
   */
  readonly advertisedMinVersion?: number;
  handle(request: Req, ctx: RequestContext): Promise<HandlerResult<Res>> | HandlerResult<Res>;
  /**
   * The response Kafka gives when the whole request fails with `errorCode` (what Kafka's
   * AbstractRequest.getErrorResponse builds: every partition/resource carries the code).
   * Without it, a failing request closes the connection after a log line.
   */
  errorResponse?(request: Req, errorCode: number, ctx: RequestContext): Res;
}

/** Returned by a handler when Kafka sends no response at all (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('NO_RESPONSE');
export type HandlerResult<Res> = Res | typeof NO_RESPONSE;

/** What a handler knows about the request beyond its body. */
export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** The header's client id (null when the client sent none). */
  readonly clientId: string | null;
  /** Unique per connection for the broker's lifetime, for logs and fetch sessions. */
  readonly connectionId: string;
  /** Remote address:port, for logs. */
  readonly clientAddress: string;
  /** Name of the listener the request came in on (e.g. 'PLAINTEXT'). */
  readonly listenerName: string;
  readonly services: BrokerServices;
}

/** The broker's services, shared by every handler. */
export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly metadata: MetadataStore;
  readonly replicas: ReplicaManager;
  /** Topic creation, deletion, partition growth and topic configs (the single node is its own controller). */
  readonly controller: Controller;
  readonly logger: Logger;
  /** Counters for the admin server's /metrics (per API, per topic). */
  readonly metrics: BrokerMetrics;
  /** The broker's own advertised endpoint(s), for Metadata/FindCoordinator/DescribeCluster. */
  readonly advertisedListeners: readonly AdvertisedListener[];
  /** The group coordinator; filled by src/group/ (issue #4). Undefined until then. */
  groups?: GroupServices;
}

export interface AdvertisedListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

/**
 * The group coordinator's surface as the handlers see it. src/group/ owns this shape and
 * widens it; the broker core only carries the reference.
 */
export interface GroupServices {
  /** Called once when the broker stops (flush offsets, fail pending joins). */
  close?(): Promise<void> | void;
  /** A topic is gone: drop every group's committed offsets for it (as Kafka does on deletion). */
  onTopicsDeleted?(topics: readonly string[]): Promise<void>;
}

/**
 * An API whose handler module loads at its first request: what ApiVersions announces and the
 * dispatcher checks is known up front, the code (a coordinator, say) only when a client uses it.
 */
export interface LazyApi {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly advertisedMinVersion?: number;
  /** The real handler; its versions must be the ones above (test/unit/server/lazy-apis.test.ts checks). */
  load(): Promise<ApiHandler>;
}
