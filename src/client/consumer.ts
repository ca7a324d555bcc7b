import { ApiKey } from '../protocol/generated/apis.js';
import type { FetchResponse } from '../protocol/generated/fetch-response.js';
import { BatchOffsets, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../protocol/records/batch.js';
import { decodeBatch, type KafkaRecord } from '../protocol/records/records.js';
import { listOffsets, OffsetSpec } from './admin.js';
import type { KafkaClient } from './client.js';
import { brokerError, ClientError, isRetriable } from './errors.js';

export interface FetcherOptions {
  /** How long the broker may hold a fetch waiting for minBytes (fetch.max.wait.ms, default 500). */
  maxWaitMs?: number;
  minBytes?: number;
  /** fetch.max.bytes (default 50 MiB). */
  maxBytes?: number;
  /** max.partition.fetch.bytes (default 1 MiB). */
  partitionMaxBytes?: number;
  /** 0 read_uncommitted, 1 read_committed (default 0). */
  isolationLevel?: number;
  /** Where to go on OFFSET_OUT_OF_RANGE (auto.offset.reset, default earliest). */
  resetTo?: 'earliest' | 'latest';
}

export interface Position {
  topic: string;
  partition: number;
  /** Next offset to fetch. */
  offset: number;
  /** Log end offset as of the last fetch (-1 until known). */
  highWatermark: number;
}

export interface ConsumedRecord extends KafkaRecord {
  topic: string;
  partition: number;
}

const fetcherDefaults = {
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 52_428_800,
  partitionMaxBytes: 1_048_576,
  isolationLevel: 0,
  resetTo: 'earliest' as 'earliest' | 'latest',
};

/**
 * Fetches assigned partitions from their leaders: one Fetch per leader per round, in parallel.
 * Positions advance past every whole batch returned (control batches included, their records
 * skipped); a partial batch at the end of a response is fetched again next round.
 */
export class Fetcher {
  readonly #client: KafkaClient;
  readonly #o: typeof fetcherDefaults;
  readonly positions = new Map<string, Position>();

  constructor(client: KafkaClient, options: FetcherOptions = {}) {
    this.#client = client;
    const o = { ...fetcherDefaults };
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
    this.#o = o;
  }

  assign(positions: readonly { topic: string; partition: number; offset: number }[]): void {
    this.positions.clear();
    for (const p of positions)
      this.positions.set(`${p.topic}\u0000${p.partition}`, { ...p, highWatermark: -1 });
  }

  /** True when every assigned partition's position has reached its known log end. */
  atEnd(): boolean {
    for (const p of this.positions.values())
      if (p.highWatermark < 0 || p.offset < p.highWatermark) return false;
    return true;
  }

  /** One round of fetches; resolves with the records returned, in offset order per partition. */
  async poll(): Promise<ConsumedRecord[]> {
    const byLeader = new Map<number, Position[]>();
    for (const pos of this.positions.values()) {
      const info = await this.#client.topic(pos.topic);
      const p = info.partitions.find((x) => x.partition === pos.partition);
      if (!p) throw new ClientError(`topic '${pos.topic}' has no partition ${pos.partition}`);
      const list = byLeader.get(p.leader) ?? [];
      list.push(pos);
      byLeader.set(p.leader, list);
    }
    const rounds = await Promise.all([...byLeader].map(([leader, list]) => this.#fetchFrom(leader, list)));
    return rounds.flat();
  }

  async #fetchFrom(leader: number, list: Position[]): Promise<ConsumedRecord[]> {
    const conn = await this.#client.broker(leader);
    const byTopic = new Map<string, Position[]>();
    for (const p of list) {
      const l = byTopic.get(p.topic) ?? [];
      l.push(p);
      byTopic.set(p.topic, l);
    }
    const res = await conn.request<FetchResponse>(ApiKey.Fetch, {
      maxWaitMs: this.#o.maxWaitMs,
      minBytes: this.#o.minBytes,
      maxBytes: this.#o.maxBytes,
      isolationLevel: this.#o.isolationLevel,
      topics: [...byTopic].map(([topic, ps]) => ({
        topic,
        partitions: ps.map((p) => ({
          partition: p.partition,
          fetchOffset: p.offset,
          partitionMaxBytes: this.#o.partitionMaxBytes,
        })),
      })),
    });
    if (res.errorCode !== 0) throw brokerError(`fetch from broker ${leader}`, res.errorCode);
    const out: ConsumedRecord[] = [];
    for (const t of res.responses) {
      for (const pd of t.partitions) {
        const pos = this.positions.get(`${t.topic}\u0000${pd.partitionIndex}`);
        if (!pos) continue;
        if (pd.errorCode === 1) {
          // OFFSET_OUT_OF_RANGE
          const spec = this.#o.resetTo === 'latest' ? OffsetSpec.latest : OffsetSpec.earliest;
          const offs = await listOffsets(this.#client, pos.topic, [pos.partition], spec);
          pos.offset = offs.get(pos.partition) ?? pos.offset;
          continue;
        }
        if (pd.errorCode !== 0) {
          if (isRetriable(pd.errorCode)) {
            await this.#client.topic(pos.topic, true);
            continue;
          }
          throw brokerError(`fetch ${pos.topic}-${pos.partition}`, pd.errorCode);
        }
        // read_committed ends at the last stable offset (an open transaction holds it back).
        pos.highWatermark =
          this.#o.isolationLevel === 1 && pd.lastStableOffset >= 0 ? pd.lastStableOffset : pd.highWatermark;
        if (pd.records && pd.records.length > 0)
          await this.#readRecords(
            pos,
            pd.records,
            out,
            this.#o.isolationLevel === 1 ? (pd.abortedTransactions ?? []) : [],
          );
      }
    }
    return out;
  }

  /**
   * Appends the records of the whole batches in `buf` at or after the position. With
   * read_committed, `aborted` lists the aborted transactions (producer id, first offset) the
   * broker returned: their batches are skipped until the producer's ABORT marker (as Kafka's
   * consumer does).
   */
  async #readRecords(
    pos: Position,
    buf: Buffer,
    out: ConsumedRecord[],
    aborted: readonly { producerId: number; firstOffset: number }[],
  ): Promise<void> {
    const pendingAborts = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
    const abortedProducers = new Set<number>();
    let at = 0;
    while (buf.length - at >= RECORD_BATCH_OVERHEAD) {
      const size = LOG_OVERHEAD + buf.readInt32BE(at + BatchOffsets.batchLength);
      if (size > buf.length - at) break; // partial batch: fetched again next round
      const batch = await decodeBatch(buf, at);
      at += size;
      const next = batch.baseOffset + batch.lastOffsetDelta + 1;
      while (pendingAborts.length > 0 && pendingAborts[0]!.firstOffset < next)
        abortedProducers.add(pendingAborts.shift()!.producerId);
      if (batch.control) {
        const marker = batch.records[0];
        if (
          marker &&
          batch.transactional &&
          marker.key &&
          marker.key.length >= 4 &&
          marker.key.readInt16BE(2) === 0
        )
          abortedProducers.delete(batch.producerId); // ABORT marker ends the aborted transaction
      } else if (!(batch.transactional && abortedProducers.has(batch.producerId))) {
        for (const r of batch.records) {
          if (r.offset < pos.offset) continue;
          (r as ConsumedRecord).topic = pos.topic;
          (r as ConsumedRecord).partition = pos.partition;
          out.push(r as ConsumedRecord);
        }
      }
      if (next > pos.offset) pos.offset = next;
    }
  }
}
