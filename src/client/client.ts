import { ApiKey } from '../protocol/generated/apis.js';
import type { MetadataResponse } from '../protocol/generated/metadata-response.js';
import { Connection, type ConnectionOptions, parseHostPort } from './connection.js';
import { brokerError, ClientError, isRetriable } from './errors.js';

export interface ClientOptions extends ConnectionOptions {
  /** "host:port[,host:port...]". */
  bootstrap: string;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  errorCode: number;
  partitions: PartitionInfo[];
}

/** How often a metadata lookup is retried while a topic or leader is not available yet. */
const METADATA_RETRIES = 10;
const METADATA_RETRY_BACKOFF_MS = 200;

/**
 * A small Kafka client: bootstrap, metadata (brokers, topics, leaders) and one Connection per
 * broker, opened on first use. Requests go to the leader of a partition, the coordinator of a
 * group, or any broker (admin requests; Kafka forwards them to its controller).
 */
export class KafkaClient {
  readonly options: ClientOptions;
  readonly #bootstrap: { host: string; port: number }[];
  readonly #connections = new Map<string, Promise<Connection>>();
  #closed = false;
  brokers = new Map<number, BrokerInfo>();
  readonly topics = new Map<string, TopicInfo>();
  controllerId = -1;
  clusterId: string | null = null;

  constructor(options: ClientOptions) {
    this.options = options;
    const list = options.bootstrap
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (list.length === 0) throw new ClientError('--bootstrap-server is empty: give host:port');
    this.#bootstrap = list.map(parseHostPort);
  }

  /** A connection to host:port, shared by every caller. */
  connectionTo(host: string, port: number): Promise<Connection> {
    if (this.#closed) return Promise.reject(new ClientError('the client is closed'));
    const key = `${host}:${port}`;
    const existing = this.#connections.get(key);
    if (existing) {
      return existing.then(
        (c) => (c.closed ? this.#reopen(key, existing, host, port) : c),
        () => this.#reopen(key, existing, host, port),
      );
    }
    return this.#open(key, host, port);
  }

  /**
   * After `stale` closed or failed: the connection another caller opened meanwhile, else a new
   * one. Without this, callers that found the same dead connection at once each opened their own,
   * and all but the last were never closed (a process that could not exit).
   */
  #reopen(key: string, stale: Promise<Connection>, host: string, port: number): Promise<Connection> {
    const current = this.#connections.get(key);
    if (current !== undefined && current !== stale) return current;
    return this.#open(key, host, port);
  }

  #open(key: string, host: string, port: number): Promise<Connection> {
    const p = Connection.connect(host, port, this.options);
    this.#connections.set(key, p);
    p.catch(() => {
      if (this.#connections.get(key) === p) this.#connections.delete(key);
    });
    return p;
  }

  /** Any live broker: an open connection, else the bootstrap servers in order. */
  async any(): Promise<Connection> {
    for (const p of this.#connections.values()) {
      try {
        const c = await p;
        if (!c.closed) return c;
      } catch {
        // try the next one
      }
    }
    let last: unknown;
    for (const b of [...this.#bootstrap, ...this.brokers.values()]) {
      try {
        return await this.connectionTo(b.host, b.port);
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new ClientError('no broker reachable');
  }

  async broker(nodeId: number): Promise<Connection> {
    let b = this.brokers.get(nodeId);
    if (!b) {
      await this.metadata([]);
      b = this.brokers.get(nodeId);
    }
    if (!b) throw new ClientError(`broker ${nodeId} is not in the cluster metadata`);
    return this.connectionTo(b.host, b.port);
  }

  /**
   * Fetches metadata: for `topics` (null = every topic, [] = brokers only). Updates the broker
   * and topic maps. Never creates topics.
   */
  async metadata(topics: readonly string[] | null): Promise<Map<string, TopicInfo>> {
    const conn = await this.any();
    const version = conn.version(ApiKey.Metadata);
    const res = await conn.request<MetadataResponse>(
      ApiKey.Metadata,
      {
        topics: topics === null ? null : topics.map((name) => ({ name })),
        ...(version >= 4 ? { allowAutoTopicCreation: false } : {}),
      },
      { version },
    );
    this.brokers = new Map(
      res.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port }]),
    );
    this.controllerId = res.controllerId;
    this.clusterId = res.clusterId;
    const out = new Map<string, TopicInfo>();
    for (const t of res.topics) {
      if (t.name === null) continue;
      const info: TopicInfo = {
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        errorCode: t.errorCode,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: [...p.replicaNodes],
            isr: [...p.isrNodes],
            errorCode: p.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      };
      out.set(t.name, info);
      if (t.errorCode === 0) this.topics.set(t.name, info);
      else this.topics.delete(t.name);
    }
    return out;
  }

  /**
   * The topic's metadata; retries while it has no leaders yet (a topic just created). Throws
   * a ClientError naming the topic when it does not exist.
   */
  async topic(name: string, refresh = false): Promise<TopicInfo> {
    const cached = this.topics.get(name);
    if (cached && !refresh) return cached;
    for (let attempt = 0; ; attempt++) {
      const info = (await this.metadata([name])).get(name);
      const code = info?.errorCode ?? 3;
      const leaderless = info !== undefined && code === 0 && info.partitions.some((p) => p.leader < 0);
      if (info && code === 0 && !leaderless) return info;
      if (attempt >= METADATA_RETRIES || (code !== 0 && !isRetriable(code)) || (code === 3 && attempt >= 2)) {
        if (code === 0) throw new ClientError(`topic '${name}' has partitions without a leader`);
        throw brokerError(`topic '${name}'`, code);
      }
      await sleep(METADATA_RETRY_BACKOFF_MS);
    }
  }

  /** The connection to a partition's leader. */
  async leader(topic: string, partition: number): Promise<Connection> {
    const info = await this.topic(topic);
    const p = info.partitions.find((x) => x.partition === partition);
    if (!p)
      throw new ClientError(
        `topic '${topic}' has no partition ${partition} (it has ${info.partitions.length})`,
      );
    return this.broker(p.leader);
  }

  close(): void {
    this.#closed = true;
    for (const p of this.#connections.values())
      p.then(
        (c) => c.close(),
        () => {},
      );
    this.#connections.clear();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
