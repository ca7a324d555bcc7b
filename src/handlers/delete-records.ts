import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { DeleteRecordsRequest } from '../protocol/generated/delete-records-request.js';
import type { DeleteRecordsResponseInput } from '../protocol/generated/delete-records-response.js';
import type { ApiHandler } from './types.js';

/** DeleteRecords' "up to the high watermark" offset. */
const HIGH_WATERMARK = -1;

export const deleteRecordsHandler: ApiHandler<DeleteRecordsRequest, DeleteRecordsResponseInput> = {
  apiKey: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const { replicas, metadata } = ctx.services;
    const topics = [];
    for (const t of request.topics) {
      const partitions = [];
      for (const p of t.partitions) {
        const failed = (errorCode: number) => ({
          partitionIndex: p.partitionIndex,
          lowWatermark: -1,
          errorCode,
        });
        const partition = metadata.topic(t.name) ? replicas.partition(t.name, p.partitionIndex) : undefined;
        if (!partition) {
          partitions.push(failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
          continue;
        }
        const offset = p.offset === HIGH_WATERMARK ? partition.highWatermark : p.offset;
        if (offset < 0 || offset > partition.highWatermark) {
          partitions.push(failed(ErrorCode.OFFSET_OUT_OF_RANGE));
          continue;
        }
        try {
          const lowWatermark = await partition.log.deleteRecordsBefore(offset);
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark, errorCode: ErrorCode.NONE });
        } catch (err) {
          if (!(err instanceof KafkaError)) ctx.services.logger.error({ err }, 'delete records failed');
          partitions.push(failed(errorCodeOf(err)));
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          lowWatermark: -1,
          errorCode,
        })),
      })),
    };
  },
};
