import { ErrorCode, errorCodeOf } from '../errors.js';
import type { OffsetForLeaderEpochRequest } from '../protocol/generated/offset-for-leader-epoch-request.js';
import type { OffsetForLeaderEpochResponseInput } from '../protocol/generated/offset-for-leader-epoch-response.js';
import type { ApiHandler } from './types.js';

/** The end offset of a leader epoch, so a consumer (or follower) can detect a truncated log. */
export const offsetForLeaderEpochHandler: ApiHandler<
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponseInput
> = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 2,
  maxVersion: 4,
  handle(request, ctx) {
    const { replicas, metadata } = ctx.services;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const failed = (errorCode: number) => ({
            errorCode,
            partition: p.partition,
            leaderEpoch: -1,
            endOffset: -1,
          });
          const partition = metadata.topic(t.topic) ? replicas.partition(t.topic, p.partition) : undefined;
          if (!partition) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (p.currentLeaderEpoch !== -1 && p.currentLeaderEpoch !== partition.leaderEpoch) {
            return failed(
              p.currentLeaderEpoch > partition.leaderEpoch
                ? ErrorCode.UNKNOWN_LEADER_EPOCH
                : ErrorCode.FENCED_LEADER_EPOCH,
            );
          }
          try {
            const r = partition.log.endOffsetForEpoch(p.leaderEpoch);
            // A consumer must not be told about offsets beyond what it may read.
            const endOffset = r.endOffset === -1 ? -1 : Math.min(r.endOffset, partition.logEndOffset);
            return {
              errorCode: ErrorCode.NONE,
              partition: p.partition,
              leaderEpoch: r.leaderEpoch,
              endOffset,
            };
          } catch (err) {
            return failed(errorCodeOf(err));
          }
        }),
      })),
    };
  },
};
