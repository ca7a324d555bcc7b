import type { OffsetCommitRequest } from '../protocol/generated/offset-commit-request.js';
import type { OffsetCommitResponseInput } from '../protocol/generated/offset-commit-response.js';
import { coordinatorOf } from './group-common.js';
import type { ApiHandler } from './types.js';

/** OffsetCommit: stores offsets in __consumer_offsets and answers once they are written. */
export const offsetCommitHandler: ApiHandler<OffsetCommitRequest, OffsetCommitResponseInput> = {
  apiKey: 8,
  name: 'OffsetCommit',
  // Kafka 4.0 removed v0-1 (KIP-896): "Versions 0-1 were removed in Apache Kafka 4.0, Version 2 is the new baseline."
  minVersion: 2,
  maxVersion: 9,
  async handle(request, ctx) {
    const topics = await coordinatorOf(ctx).commitOffsets({
      groupId: request.groupId,
      // v0 carries neither generation nor member: a commit outside group management.
      generationId: ctx.apiVersion >= 1 ? request.generationIdOrMemberEpoch : -1,
      memberId: ctx.apiVersion >= 1 ? request.memberId : '',
      groupInstanceId: request.groupInstanceId,
      retentionTimeMs: ctx.apiVersion >= 2 && ctx.apiVersion <= 4 ? request.retentionTimeMs : -1,
      apiVersion: ctx.apiVersion,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: p.committedLeaderEpoch,
          committedMetadata: p.committedMetadata,
        })),
      })),
    });
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    };
  },
};
