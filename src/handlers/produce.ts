import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { ProduceRequest } from '../protocol/generated/produce-request.js';
import type {
  ProduceResponseInput,
  ProduceResponsePartitionProduceResponseInput,
} from '../protocol/generated/produce-response.js';
import { CloseConnection } from '../server/connection.js';
import { nullKeyRecordIndexes } from '../protocol/records/records.js';
import { validateRecords } from '../protocol/records/validate.js';
import { type ApiHandler, NO_RESPONSE } from './types.js';

/** Produce's acks values Kafka accepts. */
const VALID_ACKS = new Set([0, 1, -1]);

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

/**
 * Produce: per partition, check the batch headers (the records only on a compacted topic), append
 * as leader, answer with the base offset. acks=0 gets no response, and a failure then closes the connection so
 * the producer refreshes its metadata, as Kafka does.
 */
export const produceHandler: ApiHandler<ProduceRequest, ProduceResponseInput> = {
  apiKey: 0,
  name: 'Produce',
  // Kafka 4.0 serves v3+ but announces v0 (KAFKA-18659: librdkafka enables compression only then).
  minVersion: 3,
  advertisedMinVersion: 0,
  maxVersion: 11,
  async handle(request, ctx) {
    const { metadata, replicas } = ctx.services;
    const acksValid = VALID_ACKS.has(request.acks);
    let failed = false;
    const responses = await Promise.all(
      request.topicData.map(async (topic) => {
        const meta = metadata.topic(topic.name);
        const counters = meta ? ctx.services.metrics.topic(topic.name) : null;
        if (counters) counters.produceRequests++;
        const partitionResponses = await Promise.all(
          topic.partitionData.map(async (p): Promise<ProduceResponsePartitionProduceResponseInput> => {
            if (!acksValid) return partitionError(p.index, ErrorCode.INVALID_REQUIRED_ACKS);
            const partition = meta ? replicas.partition(topic.name, p.index) : undefined;
            if (!partition) {
              failed = true;
              return partitionError(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            }
            try {
              const records = p.records;
              if (records === null) throw new KafkaError(ErrorCode.INVALID_RECORD, 'records are null');
              // Header-only checks (framing, CRC, sizes, codec, timestamps); records are never decoded.
              const check = validateRecords(records, partition.log.config, {
                origin: 'client',
                produceVersion: ctx.apiVersion,
              });
              if (!check.ok) throw check.error;
              // The one per-record check Kafka makes, and only for compacted topics: every record needs a key.
              if (partition.log.config.cleanupPolicy.includes('compact')) {
                const rejected = await keylessRecords(records, topic.name, p.index);
                if (rejected) {
                  failed = true;
                  if (counters) counters.failedProduceRequests++;
                  return rejected;
                }
              }
              const info = await partition.appendAsLeader(records, Date.now());
              if (counters) {
                counters.messagesIn += info.lastOffset - info.firstOffset + 1;
                counters.bytesIn += records.length;
              }
              return {
                index: p.index,
                errorCode: ErrorCode.NONE,
                baseOffset: info.firstOffset,
                logAppendTimeMs: info.logAppendTime,
                logStartOffset: info.logStartOffset,
                recordErrors: [],
                errorMessage: null,
              };
            } catch (err) {
              failed = true;
              if (counters) counters.failedProduceRequests++;
              const code = errorCodeOf(err);
              if (!(err instanceof KafkaError)) {
                ctx.services.logger.error({ err, topic: topic.name, partition: p.index }, 'produce failed');
              }
              return partitionError(p.index, code, err instanceof KafkaError ? err.message : null);
            }
          }),
        );
        return { name: topic.name, partitionResponses };
      }),
    );
    if (request.acks === 0) {
      if (failed)
        throw new CloseConnection(
          'acks=0 produce request failed; closing so the producer refreshes metadata',
        );
      return NO_RESPONSE;
    }
    return { responses, throttleTimeMs: 0 };
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
