import { ZERO_UUID } from '../cluster/uuid.js';
import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { FetchRequest } from '../protocol/generated/fetch-request.js';
import type {
  FetchResponseFetchableTopicResponseInput,
  FetchResponseInput,
  FetchResponsePartitionDataInput,
} from '../protocol/generated/fetch-response.js';
import type { FetchSession, SessionPartition } from '../replica/fetch-session.js';
import { partitionKey } from '../replica/replica-manager.js';
import type { ApiHandler, RequestContext } from './types.js';

/** Upper bound on max_wait_ms honoured, whatever the client asks (keeps parked requests bounded in time). */
export const FETCH_MAX_WAIT_MS_CAP = 30_000;

/** A partition to read in this request. */
interface Wanted {
  readonly key: string;
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly maxBytes: number;
  readonly currentLeaderEpoch: number;
  /** Resolution failure (unknown topic or partition), answered without reading. */
  readonly error: number;
}

interface ReadResult {
  readonly wanted: Wanted;
  readonly data: FetchResponsePartitionDataInput;
  readonly bytes: number;
}

const EMPTY: readonly Buffer[] = [];

function errorData(partition: number, errorCode: number): FetchResponsePartitionDataInput {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: null,
    records: EMPTY,
  };
}

/** Resolves the request's (or the session's) partitions against the metadata. */
function resolve(
  ctx: RequestContext,
  topic: string,
  topicId: string,
  partition: number,
  fetchOffset: number,
  maxBytes: number,
  currentLeaderEpoch: number,
): Wanted {
  const { metadata } = ctx.services;
  const byId = ctx.apiVersion >= 13;
  const meta = byId ? metadata.topicById(topicId) : metadata.topic(topic);
  const name = meta?.name ?? topic;
  const id = meta?.topicId ?? topicId;
  let error: number = ErrorCode.NONE;
  if (!meta) error = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  else if (!ctx.services.replicas.partition(name, partition)) error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  return {
    key: byId ? `${topicId}:${partition}` : partitionKey(topic, partition),
    topic: name,
    topicId: id,
    partition,
    fetchOffset,
    maxBytes,
    currentLeaderEpoch,
    error,
  };
}

/** v2 batch header: batchLength at 8, lastOffsetDelta at 23; a header is 61 bytes. */
const BATCH_LENGTH_AT = 8;
const LAST_OFFSET_DELTA_AT = 23;
const BATCH_HEADER_BYTES = 61;

/** Records in whole v2 batches, from their headers only (one read per batch, none per record). */
function recordsIn(chunks: readonly Buffer[] | Buffer | null | undefined): number {
  if (!chunks) return 0;
  let n = 0;
  for (const c of Array.isArray(chunks) ? chunks : [chunks]) {
    let pos = 0;
    while (pos + BATCH_HEADER_BYTES <= c.length) {
      const length = c.readInt32BE(pos + BATCH_LENGTH_AT);
      if (length < BATCH_HEADER_BYTES - 12) break; // not a batch: stop counting, never loop
      n += c.readInt32BE(pos + LAST_OFFSET_DELTA_AT) + 1;
      pos += 12 + length;
    }
  }
  return n;
}

/** Reads every wanted partition once, within the request's max_bytes. */
async function readAll(
  ctx: RequestContext,
  wanted: readonly Wanted[],
  request: FetchRequest,
): Promise<ReadResult[]> {
  const { replicas } = ctx.services;
  let budget = request.maxBytes;
  const out: ReadResult[] = [];
  for (const w of wanted) {
    if (w.error !== ErrorCode.NONE) {
      out.push({ wanted: w, data: errorData(w.partition, w.error), bytes: 0 });
      continue;
    }
    const p = replicas.partition(w.topic, w.partition);
    if (!p) {
      out.push({ wanted: w, data: errorData(w.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), bytes: 0 });
      continue;
    }
    const base = {
      partitionIndex: w.partition,
      highWatermark: p.highWatermark,
      lastStableOffset: p.lastStableOffset,
      logStartOffset: p.logStartOffset,
      abortedTransactions: null,
    };
    if (w.currentLeaderEpoch !== -1 && w.currentLeaderEpoch !== p.leaderEpoch) {
      const code =
        w.currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
      out.push({ wanted: w, data: { ...base, errorCode: code, records: EMPTY }, bytes: 0 });
      continue;
    }
    try {
      // The first partition with data may exceed max_bytes by one batch so consumers always progress.
      const minOneMessage = out.every((r) => r.bytes === 0);
      const limit = Math.min(w.maxBytes, Math.max(budget, 0));
      const read = await p.read(w.fetchOffset, limit, request.isolationLevel, minOneMessage);
      budget -= read.bytes;
      out.push({
        wanted: w,
        data: {
          ...base,
          highWatermark: read.highWatermark,
          lastStableOffset: read.lastStableOffset,
          logStartOffset: read.logStartOffset,
          errorCode: ErrorCode.NONE,
          abortedTransactions:
            read.abortedTransactions === null
              ? null
              : read.abortedTransactions.map((a) => ({
                  producerId: a.producerId,
                  firstOffset: a.firstOffset,
                })),
          records: read.records,
        },
        bytes: read.bytes,
      });
    } catch (err) {
      if (!(err instanceof KafkaError)) {
        ctx.services.logger.error({ err, topic: w.topic, partition: w.partition }, 'fetch read failed');
      }
      out.push({ wanted: w, data: { ...base, errorCode: errorCodeOf(err), records: EMPTY }, bytes: 0 });
    }
  }
  return out;
}

/** Groups partition results by topic, in first-seen order, as the response lists them. */
function byTopic(results: readonly ReadResult[]): FetchResponseFetchableTopicResponseInput[] {
  const topics: FetchResponseFetchableTopicResponseInput[] = [];
  let current: { topic: string; topicId: string; partitions: FetchResponsePartitionDataInput[] } | null =
    null;
  for (const r of results) {
    if (!current || current.topic !== r.wanted.topic || current.topicId !== r.wanted.topicId) {
      current = { topic: r.wanted.topic, topicId: r.wanted.topicId, partitions: [] };
      topics.push(current);
    }
    current.partitions.push(r.data);
  }
  return topics;
}

/** Applies the request's partitions and forgotten topics to the session. */
function updateSession(
  ctx: RequestContext,
  session: FetchSession,
  request: FetchRequest,
  fresh: boolean,
): void {
  const byId = ctx.apiVersion >= 13;
  for (const t of request.topics) {
    for (const p of t.partitions) {
      const key = byId ? `${t.topicId}:${p.partition}` : partitionKey(t.topic, p.partition);
      const existing = session.partitions.get(key);
      if (existing) {
        existing.fetchOffset = p.fetchOffset;
        existing.maxBytes = p.partitionMaxBytes;
      } else {
        const sp: SessionPartition = {
          key,
          topic: t.topic,
          topicId: t.topicId,
          partition: p.partition,
          fetchOffset: p.fetchOffset,
          maxBytes: p.partitionMaxBytes,
          highWatermark: -1,
          lastStableOffset: -1,
          logStartOffset: -1,
        };
        session.partitions.set(key, sp);
      }
    }
  }
  if (!fresh) {
    for (const f of request.forgottenTopicsData) {
      for (const partition of f.partitions) {
        session.partitions.delete(byId ? `${f.topicId}:${partition}` : partitionKey(f.topic, partition));
      }
    }
  }
}

/**
 * Fetch: reads raw batches for each partition and, when there is less than min_bytes, parks
 * in the purgatory until an append to one of the partitions or max_wait_ms. Supports KIP-227
 * sessions: a session remembers the partitions, and incremental responses carry only news.
 */
export const fetchHandler: ApiHandler<FetchRequest, FetchResponseInput> = {
  apiKey: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 17,
  async handle(request, ctx) {
    const { replicas } = ctx.services;
    const now = Date.now();
    const lookup = replicas.fetchSessions.lookup(request.sessionId, request.sessionEpoch, now);
    if (lookup.kind === 'error') {
      return { throttleTimeMs: 0, errorCode: lookup.errorCode, sessionId: 0, responses: [] };
    }
    let session: FetchSession | null = null;
    if (lookup.kind === 'incremental') {
      session = lookup.session;
      updateSession(ctx, session, request, false);
    } else if (lookup.kind === 'new') {
      session = replicas.fetchSessions.create(now);
      if (session) updateSession(ctx, session, request, true);
    }
    let wanted: Wanted[];
    if (session) {
      wanted = [...session.partitions.values()].map((sp) =>
        resolve(ctx, sp.topic, sp.topicId, sp.partition, sp.fetchOffset, sp.maxBytes, -1),
      );
      // The epoch the client must send next.
      session.epoch = lookup.kind === 'new' ? 1 : session.epoch + 1;
    } else {
      wanted = [];
      for (const t of request.topics) {
        for (const p of t.partitions) {
          wanted.push(
            resolve(
              ctx,
              t.topic,
              t.topicId ?? ZERO_UUID,
              p.partition,
              p.fetchOffset,
              p.partitionMaxBytes,
              p.currentLeaderEpoch,
            ),
          );
        }
      }
    }
    if (request.topics.length > 0 && session) {
      // Leader epochs only come with the request's own partitions; check them too.
      const epochs = new Map<string, number>();
      const byId = ctx.apiVersion >= 13;
      for (const t of request.topics) {
        for (const p of t.partitions) {
          epochs.set(
            byId ? `${t.topicId}:${p.partition}` : partitionKey(t.topic, p.partition),
            p.currentLeaderEpoch,
          );
        }
      }
      wanted = wanted.map((w) => ({ ...w, currentLeaderEpoch: epochs.get(w.key) ?? -1 }));
    }

    const deadline = now + Math.min(Math.max(request.maxWaitMs, 0), FETCH_MAX_WAIT_MS_CAP);
    let results = await readAll(ctx, wanted, request);
    for (;;) {
      const bytes = results.reduce((n, r) => n + r.bytes, 0);
      const anyError = results.some((r) => r.data.errorCode !== ErrorCode.NONE);
      const remaining = deadline - Date.now();
      if (bytes >= request.minBytes || anyError || remaining <= 0 || wanted.length === 0) break;
      const keys = wanted.map((w) => partitionKey(w.topic, w.partition));
      const parked = replicas.purgatory.park(keys, remaining);
      if (parked === false) break;
      await parked;
      results = await readAll(ctx, wanted, request);
      if (Date.now() >= deadline) break;
    }
    const { metrics } = ctx.services;
    for (const r of results) {
      if (r.bytes === 0) continue;
      const counters = metrics.topic(r.wanted.topic);
      counters.bytesOut += r.bytes;
      counters.messagesOut += recordsIn(r.data.records);
    }

    if (!session)
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: byTopic(results) };

    // Sessions: a full (new) response carries every partition; an incremental one only news.
    const incremental = lookup.kind === 'incremental';
    const included: ReadResult[] = [];
    const moved: SessionPartition[] = [];
    for (const r of results) {
      const sp = session.partitions.get(r.wanted.key);
      if (!sp) continue;
      const d = r.data;
      const news =
        r.bytes > 0 ||
        d.errorCode !== ErrorCode.NONE ||
        d.highWatermark !== sp.highWatermark ||
        (d.lastStableOffset ?? -1) !== sp.lastStableOffset ||
        (d.logStartOffset ?? -1) !== sp.logStartOffset;
      sp.highWatermark = d.highWatermark;
      sp.lastStableOffset = d.lastStableOffset ?? -1;
      sp.logStartOffset = d.logStartOffset ?? -1;
      if (!incremental || news) included.push(r);
      if (r.bytes > 0) moved.push(sp);
    }
    // Partitions that returned data go to the back, so the others get the budget next time.
    for (const sp of moved) {
      session.partitions.delete(sp.key);
      session.partitions.set(sp.key, sp);
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      sessionId: session.id,
      responses: byTopic(included),
    };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
  },
};
