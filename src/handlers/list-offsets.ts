import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import type { ListOffsetsRequest } from '../protocol/generated/list-offsets-request.js';
import type {
  ListOffsetsResponseInput,
  ListOffsetsResponseListOffsetsPartitionResponseInput,
} from '../protocol/generated/list-offsets-response.js';
import { IsolationLevel } from '../replica/partition.js';
import type { ApiHandler } from './types.js';

/** ListOffsets' special timestamps. */
export const OffsetSpec = {
  latest: -1,
  earliest: -2,
  maxTimestamp: -3,
  earliestLocal: -4,
  latestTiered: -5,
} as const;

type PartitionResponse = ListOffsetsResponseListOffsetsPartitionResponseInput & { leaderEpoch: number };

function failed(partitionIndex: number, errorCode: number): PartitionResponse {
  return { partitionIndex, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 };
}

export const listOffsetsHandler: ApiHandler<ListOffsetsRequest, ListOffsetsResponseInput> = {
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 10,
  async handle(request, ctx) {
    const { replicas, metadata } = ctx.services;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const k = `${t.name}\0${p.partitionIndex}`;
        if (seen.has(k)) duplicates.add(k);
        seen.add(k);
      }
    }
    const topics = await Promise.all(
      request.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p): Promise<PartitionResponse> => {
            if (duplicates.has(`${t.name}\0${p.partitionIndex}`))
              return failed(p.partitionIndex, ErrorCode.INVALID_REQUEST);
            const partition = metadata.topic(t.name)
              ? replicas.partition(t.name, p.partitionIndex)
              : undefined;
            if (!partition) return failed(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            if (p.currentLeaderEpoch !== -1 && p.currentLeaderEpoch !== partition.leaderEpoch) {
              return failed(
                p.partitionIndex,
                p.currentLeaderEpoch > partition.leaderEpoch
                  ? ErrorCode.UNKNOWN_LEADER_EPOCH
                  : ErrorCode.FENCED_LEADER_EPOCH,
              );
            }
            const found = (
              offset: number,
              timestamp = -1,
              leaderEpoch = partition.leaderEpoch,
            ): PartitionResponse => ({
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.NONE,
              timestamp,
              offset,
              leaderEpoch,
            });
            try {
              switch (p.timestamp) {
                case OffsetSpec.earliest:
                case OffsetSpec.earliestLocal:
                  return found(partition.logStartOffset);
                case OffsetSpec.latest:
                  return found(
                    request.isolationLevel === IsolationLevel.readCommitted
                      ? partition.lastStableOffset
                      : partition.highWatermark,
                  );
                case OffsetSpec.latestTiered:
                  return found(-1, -1, -1);
                case OffsetSpec.maxTimestamp: {
                  const r = await partition.log.maxTimestampOffset();
                  return r ? found(r.offset, r.timestamp, r.leaderEpoch) : found(-1, -1, -1);
                }
                default: {
                  if (p.timestamp < 0) {
                    throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown offset spec ${p.timestamp}`);
                  }
                  const r = await partition.log.offsetForTimestamp(p.timestamp);
                  // Consumers only see what is below the high watermark.
                  if (!r || r.offset >= partition.highWatermark) return found(-1, -1, -1);
                  return found(Math.max(r.offset, partition.logStartOffset), r.timestamp, r.leaderEpoch);
                }
              }
            } catch (err) {
              if (!(err instanceof KafkaError)) ctx.services.logger.error({ err }, 'list offsets failed');
              return failed(p.partitionIndex, errorCodeOf(err));
            }
          }),
        ),
      })),
    );
    // LeaderEpoch exists from v4; older versions must carry its default.
    if (ctx.apiVersion < 4) for (const t of topics) for (const p of t.partitions) p.leaderEpoch = -1;
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => failed(p.partitionIndex, errorCode)),
      })),
    };
  },
};
