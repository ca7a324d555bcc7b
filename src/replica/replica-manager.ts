import type { Logger } from '../core/log.js';
import type { TopicMetadata } from '../cluster/metadata-store.js';
import { FetchPurgatory } from './fetch-purgatory.js';
import { FetchSessionCache } from './fetch-session.js';
import type { PartitionLog } from './partition-log.js';
import { Partition } from './partition.js';

/** Opens (creating when absent) the log of one partition with the topic's configs. */
export type LogOpener = (topic: TopicMetadata, partition: number) => Promise<PartitionLog>;
/** Applies a topic's changed configs to one of its open logs. */
export type LogReconfigurer = (topic: TopicMetadata, log: PartitionLog) => void;

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * The partitions this broker hosts and the fetch purgatory. On a single node the broker
 * leads every partition.
 */
export class ReplicaManager {
  readonly nodeId: number;
  readonly purgatory = new FetchPurgatory();
  /** max.incremental.fetch.session.cache.slots sessions at most. */
  readonly fetchSessions: FetchSessionCache;
  readonly #partitions = new Map<string, Partition>();
  /** The same partitions by topic, then index: the produce path looks one up per request without building a key string. */
  readonly #byTopic = new Map<string, (Partition | undefined)[]>();
  readonly #openLog: LogOpener;
  readonly #reconfigure: LogReconfigurer;
  readonly #log: Logger;

  constructor(
    nodeId: number,
    openLog: LogOpener,
    reconfigure: LogReconfigurer,
    log: Logger,
    fetchSessionSlots = 1000,
  ) {
    this.nodeId = nodeId;
    this.fetchSessions = new FetchSessionCache(fetchSessionSlots);
    this.#openLog = openLog;
    this.#reconfigure = reconfigure;
    this.#log = log;
  }

  partition(topic: string, partition: number): Partition | undefined {
    return this.#byTopic.get(topic)?.[partition];
  }

  partitions(): IterableIterator<Partition> {
    return this.#partitions.values();
  }

  /** Opens the logs of every partition of `topic` this broker leads that is not open yet. */
  async ensureTopic(topic: TopicMetadata): Promise<void> {
    for (const p of topic.partitions) {
      if (p.leader !== this.nodeId) continue;
      const key = partitionKey(topic.name, p.partition);
      if (this.#partitions.has(key)) continue;
      const log = await this.#openLog(topic, p.partition);
      const partition = new Partition(topic.name, p.partition, topic.topicId, p.leaderEpoch, log);
      // The key is built once here, not on every append that moves the high watermark.
      partition.onHighWatermark = () => this.purgatory.wake(key);
      this.#partitions.set(key, partition);
      let byIndex = this.#byTopic.get(topic.name);
      if (byIndex === undefined) {
        byIndex = [];
        this.#byTopic.set(topic.name, byIndex);
      }
      byIndex[p.partition] = partition;
    }
  }

  reconfigureTopic(topic: TopicMetadata): void {
    for (const p of topic.partitions) {
      const partition = this.#partitions.get(partitionKey(topic.name, p.partition));
      if (partition) this.#reconfigure(topic, partition.log);
    }
  }

  /** Closes and deletes the logs of `topic` (its files go with it). */
  async deleteTopic(topic: TopicMetadata): Promise<void> {
    for (const p of topic.partitions) {
      const key = partitionKey(topic.name, p.partition);
      const partition = this.#partitions.get(key);
      if (!partition) continue;
      this.#partitions.delete(key);
      this.#forget(partition);
      partition.markDeleted();
      this.purgatory.wake(key);
      await partition.log.delete();
    }
  }

  #forget(partition: Partition): void {
    const byIndex = this.#byTopic.get(partition.topic);
    if (byIndex?.[partition.partition] !== partition) return;
    byIndex[partition.partition] = undefined;
    if (byIndex.every((p) => p === undefined)) this.#byTopic.delete(partition.topic);
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.#partitions.values()].map((p) => p.log.flush()));
  }

  async closeAll(): Promise<void> {
    this.purgatory.wakeAll();
    const all = [...this.#partitions.values()];
    this.#partitions.clear();
    this.#byTopic.clear();
    for (const p of all) {
      try {
        await p.log.close();
      } catch (err) {
        this.#log.error({ err, topic: p.topic, partition: p.partition }, 'closing log failed');
      }
    }
  }
}
