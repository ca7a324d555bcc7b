import type { BrokerConfig } from '../cluster/config.js';
import { resolveTopicConfigs } from '../cluster/topic-config.js';
import { ErrorCode, KafkaError } from '../errors.js';
import {
  BatchAttributes,
  batchSize,
  CURRENT_MAGIC,
  compressionOf,
  computeCrc,
  isControl,
  LOG_OVERHEAD,
  lastOffsetDelta,
  magic,
  maxTimestamp,
  RECORD_BATCH_OVERHEAD,
  recordsCount,
  storedCrc,
  attributes,
} from '../protocol/records/batch.js';

export interface ProduceCheck {
  /** The broker time to stamp when the topic uses LogAppendTime, else null. */
  readonly logAppendTime: number | null;
}

/**
 * What Kafka checks on a produce (v3+) before appending, from the batch header alone: one
 * batch, magic 2, sizes consistent and within max.message.bytes, the CRC, a known codec, no
 * control batch from a client, and the batch's max timestamp within the topic's bounds.
 */
export function checkProduceRecords(
  records: Buffer,
  topicConfigs: Readonly<Record<string, string>>,
  broker: BrokerConfig,
): ProduceCheck {
  const configs = new Map(resolveTopicConfigs(topicConfigs, broker).map((c) => [c.name, c.value]));
  const maxMessageBytes = Number(configs.get('max.message.bytes'));
  if (records.length < LOG_OVERHEAD)
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'record batch is truncated');
  const size = batchSize(records, 0);
  if (size > maxMessageBytes) {
    throw new KafkaError(
      ErrorCode.MESSAGE_TOO_LARGE,
      `The record batch size in the append to ${size} bytes exceeds the maximum configured value of ${maxMessageBytes}.`,
    );
  }
  if (size < RECORD_BATCH_OVERHEAD || size > records.length) {
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch length ${size} is inconsistent with ${records.length} bytes`,
    );
  }
  if (size !== records.length) {
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      'Produce requests must contain exactly one record batch per partition',
    );
  }
  if (magic(records, 0) !== CURRENT_MAGIC) {
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      `Produce requests require record batch magic ${CURRENT_MAGIC}`,
    );
  }
  if (computeCrc(records, 0, size) !== storedCrc(records, 0)) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'Record batch is corrupt (CRC mismatch)');
  }
  if (compressionOf(records, 0) > 4) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `Unknown compression codec ${compressionOf(records, 0)}`,
    );
  }
  if (isControl(records, 0))
    throw new KafkaError(ErrorCode.INVALID_RECORD, 'Clients may not write control batches');
  const count = recordsCount(records, 0);
  if (count <= 0 || lastOffsetDelta(records, 0) !== count - 1) {
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      'Record batch record count is inconsistent with its last offset delta',
    );
  }
  if (configs.get('message.timestamp.type') === 'LogAppendTime') return { logAppendTime: Date.now() };
  if ((attributes(records, 0) & BatchAttributes.timestampTypeLogAppendTime) !== 0)
    return { logAppendTime: null };
  const ts = maxTimestamp(records, 0);
  const now = Date.now();
  const afterMax = Number(configs.get('message.timestamp.after.max.ms'));
  const beforeMax = Number(configs.get('message.timestamp.before.max.ms'));
  if (ts >= 0 && (ts - now > afterMax || now - ts > beforeMax)) {
    throw new KafkaError(ErrorCode.INVALID_TIMESTAMP, `Timestamp ${ts} of the record batch is out of range`);
  }
  return { logAppendTime: null };
}
