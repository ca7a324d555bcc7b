import { ApiKey } from '../protocol/generated/apis.js';
import type { InitProducerIdResponse } from '../protocol/generated/init-producer-id-response.js';
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
   * enable.idempotence: the broker writes each batch once, however often it is retried (a
   * producer id from InitProducerId, per-partition sequence numbers). Needs acks=-1. One batch per
   * partition is in flight at a time, so a retried batch never overtakes the next one.
   */
  idempotent?: boolean;
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
  idempotent: false,
};

/** Errors after which an idempotent producer's sequence state is lost: it stops (Kafka's fatal errors). */
const UNKNOWN_PRODUCER_ID = 59;
const INVALID_PRODUCER_EPOCH = 47;
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const PRODUCER_FENCED = 90;

interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
}

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
  /** First sequence number of an idempotent batch, else -1. */
  baseSequence: number;
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
  /** Idempotence: the producer id (asked for once) and the next sequence per partition. */
  #identity: Promise<ProducerIdentity> | null = null;
  readonly #nextSequence = new Map<string, number>();
  /** Idempotence: partitions with a batch on the wire. */
  readonly #partitionsInFlight = new Set<string>();
  /** The first error a batch failed with for good. */
  error: Error | null = null;
  acked = 0;
  failed = 0;

  constructor(client: KafkaClient, options: ProducerOptions = {}) {
    this.#client = client;
    const o = { ...producerDefaults } as typeof producerDefaults & Pick<ProducerOptions, 'onAck'>;
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
    if (o.idempotent && o.acks !== -1)
      throw new ClientError(
        'an idempotent producer needs acks=all (-1): set acks to all or turn idempotence off',
      );
    this.#o = o;
  }

  /** InitProducerId without a transactional id, once (retried while the coordinator loads). */
  #producerIdentity(): Promise<ProducerIdentity> {
    this.#identity ??= (async () => {
      for (let attempt = 0; ; attempt++) {
        const conn = await this.#client.any();
        const res = await conn.request<InitProducerIdResponse>(ApiKey.InitProducerId, {
          transactionalId: null,
          transactionTimeoutMs: 60_000,
          producerId: -1,
          producerEpoch: -1,
        });
        if (res.errorCode === 0) return { producerId: res.producerId, producerEpoch: res.producerEpoch };
        if (!isRetriable(res.errorCode) || attempt >= this.#o.retries)
          throw brokerError('InitProducerId', res.errorCode, null);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    return this.#identity;
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
    // Sequences are taken here, in the order batches close, so they follow the records' order.
    let baseSequence = -1;
    if (this.#o.idempotent) {
      baseSequence = this.#nextSequence.get(key) ?? 0;
      this.#nextSequence.set(key, (baseSequence + acc.records.length) % 2_147_483_648);
    }
    const sync = this.#o.compression !== 'zstd' || zstdSyncAvailable;
    this.#pendingBuilds++;
    const build = (identity: ProducerIdentity | null) => {
      const options = {
        compression: this.#o.compression,
        ...(identity ? { ...identity, baseSequence } : {}),
      };
      return sync ? Promise.resolve(buildBatchSync(acc.records, options)) : buildBatch(acc.records, options);
    };
    const built = this.#o.idempotent ? this.#producerIdentity().then(build) : build(null);
    built.then(
      (data) => {
        this.#pendingBuilds--;
        this.#enqueue({
          topic: acc.topic,
          partition: acc.partition,
          baseSequence,
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
            baseSequence,
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
      // One batch per partition per request, up to maxRequestBytes. Idempotent: the partition's
      // lowest sequence first, and none while one of the partition's batches is on the wire.
      const taken: ReadyBatch[] = [];
      const seen = new Set<string>(this.#o.idempotent ? this.#partitionsInFlight : []);
      let bytes = 0;
      for (let i = 0; i < list.length; ) {
        const b = this.#o.idempotent ? lowestSequenceFirst(list, i) : list[i]!;
        const key = `${b.topic}\u0000${b.partition}`;
        if (!seen.has(key) && (taken.length === 0 || bytes + b.data.length <= this.#o.maxRequestBytes)) {
          seen.add(key);
          taken.push(b);
          bytes += b.data.length;
          list.splice(i, 1);
        } else i++;
      }
      if (taken.length === 0) break;
      if (this.#o.idempotent)
        for (const b of taken) this.#partitionsInFlight.add(`${b.topic}\u0000${b.partition}`);
      this.#inFlight.set(node, (this.#inFlight.get(node) ?? 0) + 1);
      this.#produce(node, taken).finally(() => {
        this.#inFlight.set(node, (this.#inFlight.get(node) ?? 1) - 1);
        for (const b of taken) this.#partitionsInFlight.delete(`${b.topic}\u0000${b.partition}`);
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
          isRetriable(r.errorCode) && !isFatalForIdempotence(r.errorCode),
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

/**
 * The batch to consider at `i`: the one with the lowest sequence among `list[i..]` for the same
 * partition (moved to `i`), so that a retried batch goes before the ones that follow it.
 */
function lowestSequenceFirst(list: ReadyBatch[], i: number): ReadyBatch {
  let best = i;
  const first = list[i]!;
  for (let j = i + 1; j < list.length; j++) {
    const b = list[j]!;
    if (
      b.topic === first.topic &&
      b.partition === first.partition &&
      b.baseSequence < list[best]!.baseSequence
    )
      best = j;
  }
  if (best !== i) [list[i], list[best]] = [list[best]!, list[i]!];
  return list[i]!;
}

function isFatalForIdempotence(code: number): boolean {
  return (
    code === UNKNOWN_PRODUCER_ID ||
    code === INVALID_PRODUCER_EPOCH ||
    code === OUT_OF_ORDER_SEQUENCE_NUMBER ||
    code === PRODUCER_FENCED
  );
}
