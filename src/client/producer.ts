import { ApiKey } from '../protocol/generated/apis.js';
import type { ProduceResponse } from '../protocol/generated/produce-response.js';
import { buildBatch, buildBatchSync, type RecordInput } from '../protocol/records/builder.js';
import { type CompressionName, zstdSyncAvailable } from '../protocol/records/compression.js';
import type { KafkaClient } from './client.js';
import { brokerError, ClientError, isRetriable } from './errors.js';

export interface ProducerOptions {
  /** -1 (all in-sync replicas), 1 (leader) or 0 (no response). Default -1. */
  acks?: number;
  compression?: CompressionName;
  /** A partition's batch is sent once it holds this many bytes (batch.size, default 16 KiB). */
  batchSize?: number;
  /** ...or once its first record has waited this long (linger.ms, default 5). */
  lingerMs?: number;
  /** Produce requests in flight per broker (max.in.flight.requests.per.connection, default 5). */
  maxInFlight?: number;
  /** Bytes of records accepted but not yet acknowledged (buffer.memory, default 32 MiB). */
  bufferBytes?: number;
  /** Largest produce request (max.request.size, default 1 MiB; a single larger batch still goes). */
  maxRequestBytes?: number;
  /** Broker-side timeout for acks=-1 (default 30 s). */
  ackTimeoutMs?: number;
  /** Retries of a batch after a retriable error (default 3), with a metadata refresh. */
  retries?: number;
  /** Keep each record's send time (performance.now()) for onAck (perf's latencies). */
  trackTimes?: boolean;
  /**
   * Called once per batch when the broker acknowledged it (baseOffset -1 with acks=0) or it
   * failed for good (err set).
   */
  onAck?: (err: Error | null, ack: BatchAck) => void;
}

export interface BatchAck {
  topic: string;
  partition: number;
  baseOffset: number;
  count: number;
  bytes: number;
  /** Send time of each record when trackTimes is on, else null. */
  times: number[] | null;
}

export const producerDefaults = {
  acks: -1,
  compression: 'none' as CompressionName,
  batchSize: 16_384,
  lingerMs: 5,
  maxInFlight: 5,
  bufferBytes: 33_554_432,
  maxRequestBytes: 1_048_576,
  ackTimeoutMs: 30_000,
  retries: 3,
  trackTimes: false,
};

interface Accumulator {
  topic: string;
  partition: number;
  records: RecordInput[];
  times: number[] | null;
  bytes: number;
}

interface ReadyBatch {
  topic: string;
  partition: number;
  data: Buffer;
  count: number;
  bytes: number;
  times: number[] | null;
  attempts: number;
}

/** Rough encoded size of a record, for batch.size and the buffer bound. */
function recordBytes(r: RecordInput): number {
  let n = 16;
  if (r.key) n += r.key.length;
  if (r.value) n += r.value.length;
  if (r.headers) for (const h of r.headers) n += h.key.length + (h.value ? h.value.length : 0) + 4;
  return n;
}

/**
 * A pipelined producer: records accumulate per partition into batches (batch.size / linger.ms),
 * ready batches for the same broker share one Produce request, and up to maxInFlight requests
 * per broker are on the wire at once. `send` returns false when bufferBytes are taken; wait
 * with `waitForRoom()` before sending more (like a stream's write/drain).
 */
export class Producer {
  readonly #client: KafkaClient;
  readonly #o: typeof producerDefaults & Pick<ProducerOptions, 'onAck'>;
  readonly #acc = new Map<string, Accumulator>();
  readonly #ready = new Map<number, ReadyBatch[]>();
  readonly #inFlight = new Map<number, number>();
  #buffered = 0;
  #lingerTimer: NodeJS.Timeout | null = null;
  #roomWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];
  #pendingBuilds = 0;
  /** The first error a batch failed with for good. */
  error: Error | null = null;
  acked = 0;
  failed = 0;

  constructor(client: KafkaClient, options: ProducerOptions = {}) {
    this.#client = client;
    const o = { ...producerDefaults } as typeof producerDefaults & Pick<ProducerOptions, 'onAck'>;
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
    this.#o = o;
  }

  /** Partition count of a topic (metadata cached). */
  async partitions(topic: string): Promise<number> {
    return (await this.#client.topic(topic)).partitions.length;
  }

  /** Queues a record; false when the buffer is full (call waitForRoom before the next send). */
  send(topic: string, partition: number, record: RecordInput): boolean {
    const key = `${topic}\u0000${partition}`;
    let acc = this.#acc.get(key);
    if (!acc) {
      acc = { topic, partition, records: [], times: this.#o.trackTimes ? [] : null, bytes: 0 };
      this.#acc.set(key, acc);
    }
    const size = recordBytes(record);
    acc.records.push(record);
    if (acc.times) acc.times.push(performance.now());
    acc.bytes += size;
    this.#buffered += size;
    if (acc.bytes >= this.#o.batchSize) this.#close(key, acc);
    else if (!this.#lingerTimer)
      this.#lingerTimer = setTimeout(() => this.#lingerExpired(), this.#o.lingerMs);
    return this.#buffered < this.#o.bufferBytes;
  }

  waitForRoom(): Promise<void> {
    if (this.#buffered < this.#o.bufferBytes) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Sends everything queued and resolves when every batch is acknowledged or failed. */
  async flush(): Promise<void> {
    if (this.#lingerTimer) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = null;
    }
    for (const [key, acc] of this.#acc) this.#close(key, acc);
    if (this.#buffered === 0 && this.#pendingBuilds === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops what is not sent yet and stops the linger timer (after an error; flush() otherwise). */
  close(): void {
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
    this.#acc.clear();
  }

  #lingerExpired(): void {
    this.#lingerTimer = null;
    for (const [key, acc] of this.#acc) this.#close(key, acc);
  }

  #close(key: string, acc: Accumulator): void {
    this.#acc.delete(key);
    if (acc.records.length === 0) return;
    const options = { compression: this.#o.compression };
    const sync = this.#o.compression !== 'zstd' || zstdSyncAvailable;
    this.#pendingBuilds++;
    const built = sync
      ? Promise.resolve(buildBatchSync(acc.records, options))
      : buildBatch(acc.records, options);
    built.then(
      (data) => {
        this.#pendingBuilds--;
        this.#enqueue({
          topic: acc.topic,
          partition: acc.partition,
          data,
          count: acc.records.length,
          bytes: acc.bytes,
          times: acc.times,
          attempts: 0,
        });
      },
      (err: unknown) => {
        this.#pendingBuilds--;
        this.#done(
          err instanceof Error ? err : new Error(String(err)),
          {
            topic: acc.topic,
            partition: acc.partition,
            data: Buffer.alloc(0),
            count: acc.records.length,
            bytes: acc.bytes,
            times: acc.times,
            attempts: 0,
          },
          -1,
        );
      },
    );
  }

  #enqueue(batch: ReadyBatch): void {
    this.#client.topic(batch.topic).then(
      (info) => {
        const p = info.partitions.find((x) => x.partition === batch.partition);
        if (!p) {
          this.#done(
            new ClientError(
              `topic '${batch.topic}' has no partition ${batch.partition} (it has ${info.partitions.length})`,
            ),
            batch,
            -1,
          );
          return;
        }
        const list = this.#ready.get(p.leader) ?? [];
        list.push(batch);
        this.#ready.set(p.leader, list);
        this.#pump(p.leader);
      },
      (err: Error) => this.#done(err, batch, -1),
    );
  }

  #pump(node: number): void {
    const list = this.#ready.get(node);
    while (list && list.length > 0 && (this.#inFlight.get(node) ?? 0) < this.#o.maxInFlight) {
      // One batch per partition per request, up to maxRequestBytes.
      const taken: ReadyBatch[] = [];
      const seen = new Set<string>();
      let bytes = 0;
      for (let i = 0; i < list.length; ) {
        const b = list[i]!;
        const key = `${b.topic}\u0000${b.partition}`;
        if (!seen.has(key) && (taken.length === 0 || bytes + b.data.length <= this.#o.maxRequestBytes)) {
          seen.add(key);
          taken.push(b);
          bytes += b.data.length;
          list.splice(i, 1);
        } else i++;
      }
      this.#inFlight.set(node, (this.#inFlight.get(node) ?? 0) + 1);
      this.#produce(node, taken).finally(() => {
        this.#inFlight.set(node, (this.#inFlight.get(node) ?? 1) - 1);
        this.#pump(node);
      });
    }
  }

  async #produce(node: number, batches: ReadyBatch[]): Promise<void> {
    const byTopic = new Map<string, ReadyBatch[]>();
    for (const b of batches) {
      const l = byTopic.get(b.topic) ?? [];
      l.push(b);
      byTopic.set(b.topic, l);
    }
    const acks = this.#o.acks;
    let res: ProduceResponse | undefined;
    try {
      const conn = await this.#client.broker(node);
      res = await conn.request<ProduceResponse>(
        ApiKey.Produce,
        {
          transactionalId: null,
          acks,
          timeoutMs: this.#o.ackTimeoutMs,
          topicData: [...byTopic].map(([name, list]) => ({
            name,
            partitionData: list.map((b) => ({ index: b.partition, records: b.data })),
          })),
        },
        { noResponse: acks === 0 },
      );
    } catch (err) {
      for (const b of batches)
        this.#retryOrFail(err instanceof Error ? err : new Error(String(err)), b, true);
      return;
    }
    if (acks === 0) {
      for (const b of batches) this.#done(null, b, -1);
      return;
    }
    const results = new Map<string, { errorCode: number; baseOffset: number; errorMessage: string | null }>();
    for (const t of res!.responses)
      for (const p of t.partitionResponses) results.set(`${t.name}\u0000${p.index}`, p);
    for (const b of batches) {
      const r = results.get(`${b.topic}\u0000${b.partition}`);
      if (!r) this.#done(new ClientError(`the broker did not answer for ${b.topic}-${b.partition}`), b, -1);
      else if (r.errorCode !== 0)
        this.#retryOrFail(
          brokerError(`produce to ${b.topic}-${b.partition}`, r.errorCode, r.errorMessage),
          b,
          isRetriable(r.errorCode),
        );
      else this.#done(null, b, r.baseOffset);
    }
  }

  #retryOrFail(err: Error, batch: ReadyBatch, retriable: boolean): void {
    if (retriable && batch.attempts < this.#o.retries) {
      batch.attempts++;
      this.#client.topic(batch.topic, true).then(
        () => this.#enqueue(batch),
        () => setTimeout(() => this.#enqueue(batch), 200),
      );
      return;
    }
    this.#done(err, batch, -1);
  }

  #done(err: Error | null, batch: ReadyBatch, baseOffset: number): void {
    this.#buffered -= batch.bytes;
    if (err) {
      this.failed += batch.count;
      this.error ??= err;
    } else this.acked += batch.count;
    this.#o.onAck?.(err, {
      topic: batch.topic,
      partition: batch.partition,
      baseOffset,
      count: batch.count,
      bytes: batch.bytes,
      times: batch.times,
    });
    if (this.#buffered < this.#o.bufferBytes) for (const w of this.#roomWaiters.splice(0)) w();
    if (this.#buffered <= 0 && this.#pendingBuilds === 0 && this.#acc.size === 0)
      for (const w of this.#idleWaiters.splice(0)) w();
  }
}
