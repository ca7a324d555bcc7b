import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { ProduceRequest } from '../protocol/generated/produce-request.js';
import type {
  ProduceResponseInput,
  ProduceResponsePartitionProduceResponseInput,
  ProduceResponseTopicProduceResponseInput,
} from '../protocol/generated/produce-response.js';
import { CloseConnection } from '../server/connection.js';
import { nullKeyRecordIndexes } from '../protocol/records/records.js';
import { validateRecords } from '../protocol/records/validate.js';
import type { AppendInfo } from '../replica/partition-log.js';
import { type ApiHandler, NO_RESPONSE, type RequestContext } from './types.js';

function partitionError(
  index: number,
  errorCode: number,
  errorMessage: string | null = null,
): ProduceResponsePartitionProduceResponseInput {
  return {
    index,
    errorCode,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage,
  };
}

/**
 * Kafka's answer to records without a key on a compacted topic (LogValidator.validateKey and
 * processRecordErrors): INVALID_RECORD with one record error per keyless record, nothing appended.
 * Null when every record has a key.
 */
async function keylessRecords(
  records: Buffer,
  topic: string,
  partition: number,
): Promise<ProduceResponsePartitionProduceResponseInput | null> {
  const indexes = await nullKeyRecordIndexes(records);
  if (indexes.length === 0) return null;
  const message = `Compacted topic cannot accept message without key in topic partition ${topic}-${partition}.`;
  const shown = indexes
    .slice(0, 3)
    .map((i) => `RecordError(batchIndex=${i}, message='${message}')`)
    .join(', ');
  return {
    ...partitionError(
      partition,
      ErrorCode.INVALID_RECORD,
      `One or more records have been rejected due to ${indexes.length} record errors in total, and only showing the first three errors at most: [${shown}]`,
    ),
    recordErrors: indexes.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: message })),
  };
}

type PartitionResponse = ProduceResponsePartitionProduceResponseInput;
type TopicCounters = ReturnType<RequestContext['services']['metrics']['topic']>;

/**
 * Produce: per partition, check the batch headers (the records only on a compacted topic), append
 * as leader, answer with the base offset. acks=0 gets no response, and a failure then closes the connection so
 * the producer refreshes its metadata, as Kafka does.
 *
 * Written without async functions: at batch 1 a client sends one request per record, and each
 * async closure, Promise.all and await was a promise and a microtask hop of its own (docs/broker.md).
 * Partitions are checked and appended synchronously in request order; the response is built
 * synchronously when nothing was appended, after the one append when there is one, and after
 * all of them otherwise.
 */
export const produceHandler: ApiHandler<ProduceRequest, ProduceResponseInput> = {
  apiKey: 0,
  name: 'Produce',
  // Kafka 4.0 serves v3+ but announces v0 (KAFKA-18659: librdkafka enables compression only then).
  minVersion: 3,
  advertisedMinVersion: 0,
  maxVersion: 11,
  handle(request, ctx) {
    const acks = request.acks;
    const acksValid = acks === 0 || acks === 1 || acks === -1;
    const topicData = request.topicData;
    const responses: ProduceResponseTopicProduceResponseInput[] = new Array(topicData.length);
    // Partition responses still being appended, and where each one goes.
    let pending: Promise<PartitionResponse>[] | null = null;
    let pendingSlots: PartitionResponse[][] | null = null;
    let pendingIndexes: number[] | null = null;
    // The common request (one topic, one partition) is answered from the append's own callback.
    const single = topicData.length === 1 && topicData[0]!.partitionData.length === 1;
    for (let t = 0; t < topicData.length; t++) {
      const topic = topicData[t]!;
      const partitionResponses: PartitionResponse[] = new Array(topic.partitionData.length);
      responses[t] = { name: topic.name, partitionResponses };
      const meta = ctx.services.metadata.topic(topic.name);
      const counters = meta ? ctx.services.metrics.topic(topic.name) : null;
      if (counters) counters.produceRequests++;
      for (let i = 0; i < topic.partitionData.length; i++) {
        const p = topic.partitionData[i]!;
        if (!acksValid) {
          partitionResponses[i] = partitionError(p.index, ErrorCode.INVALID_REQUIRED_ACKS);
          continue;
        }
        const done = single
          ? (r: PartitionResponse) => {
              partitionResponses[0] = r;
              return finish(acks, responses);
            }
          : null;
        const r = producePartition(topic.name, p.index, p.records, meta !== undefined, counters, ctx, done);
        if (!(r instanceof Promise)) {
          partitionResponses[i] = r;
        } else if (single) {
          return r as Promise<ProduceResponseInput | typeof NO_RESPONSE>;
        } else {
          if (pending === null) {
            pending = [];
            pendingSlots = [];
            pendingIndexes = [];
          }
          pending.push(r as Promise<PartitionResponse>);
          pendingSlots!.push(partitionResponses);
          pendingIndexes!.push(i);
        }
      }
    }
    if (pending === null) return finish(acks, responses);
    const slots = pendingSlots!;
    const indexes = pendingIndexes!;
    return Promise.all(pending).then((rs) => {
      for (let k = 0; k < rs.length; k++) slots[k]![indexes[k]!] = rs[k]!;
      return finish(acks, responses);
    });
  },
  errorResponse(request, errorCode) {
    return {
      responses: request.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => partitionError(p.index, errorCode)),
      })),
      throttleTimeMs: 0,
    };
  },
};

/** The response, or none for acks=0 (where any failed partition closes the connection instead). */
function finish(
  acks: number,
  responses: ProduceResponseTopicProduceResponseInput[],
): ProduceResponseInput | typeof NO_RESPONSE {
  if (acks !== 0) return { responses, throttleTimeMs: 0 };
  for (const t of responses) {
    for (const p of t.partitionResponses) {
      if (p.errorCode !== ErrorCode.NONE)
        throw new CloseConnection(
          'acks=0 produce request failed; closing so the producer refreshes metadata',
        );
    }
  }
  return NO_RESPONSE;
}

/**
 * One partition of a request: its answer when it fails the checks, else a promise of the append's
 * answer (passed through `done` when given, which saves a promise and a microtask hop per request).
 * Appends start here, in request order (the log assigns offsets at call time).
 */
function producePartition(
  topic: string,
  index: number,
  records: Buffer | null,
  topicKnown: boolean,
  counters: TopicCounters | null,
  ctx: RequestContext,
  done: ((r: PartitionResponse) => unknown) | null,
): PartitionResponse | Promise<unknown> {
  const partition = topicKnown ? ctx.services.replicas.partition(topic, index) : undefined;
  if (!partition) return partitionError(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const failed = (err: unknown): PartitionResponse => {
    if (counters) counters.failedProduceRequests++;
    if (!(err instanceof KafkaError)) {
      ctx.services.logger.error({ err, topic, partition: index }, 'produce failed');
    }
    return partitionError(index, errorCodeOf(err), err instanceof KafkaError ? err.message : null);
  };
  try {
    if (records === null) throw new KafkaError(ErrorCode.INVALID_RECORD, 'records are null');
    // Header-only checks (framing, CRC, sizes, codec, timestamps); records are never decoded.
    const check = validateRecords(records, partition.log.config, {
      origin: 'client',
      produceVersion: ctx.apiVersion,
    });
    if (!check.ok) throw check.error;
  } catch (err) {
    return failed(err);
  }
  const appended = (info: AppendInfo): PartitionResponse => {
    if (counters) {
      counters.messagesIn += info.lastOffset - info.firstOffset + 1;
      counters.bytesIn += records.length;
    }
    return {
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: info.firstOffset,
      logAppendTimeMs: info.logAppendTime,
      logStartOffset: info.logStartOffset,
      recordErrors: [],
      errorMessage: null,
    };
  };
  // The one per-record check Kafka makes, and only for compacted topics: every record needs a key.
  if (partition.log.config.cleanupPolicy.includes('compact')) {
    const answer = keylessRecords(records, topic, index).then((rejected) => {
      if (rejected) {
        if (counters) counters.failedProduceRequests++;
        return rejected;
      }
      return partition.appendAsLeader(records, null).then(appended, failed);
    }, failed);
    return done === null ? answer : answer.then(done);
  }
  // The log reads the clock itself, and only when it needs it (LogAppendTime, a time-based roll).
  const appending = partition.appendAsLeader(records, null);
  if (done === null) return appending.then(appended, failed);
  return appending.then(
    (info) => done(appended(info)),
    (err: unknown) => done(failed(err)),
  );
}
