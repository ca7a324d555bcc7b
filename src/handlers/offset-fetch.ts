import type { OffsetFetchResult } from '../group/coordinator.js';
import type { OffsetFetchRequest } from '../protocol/generated/offset-fetch-request.js';
import type { OffsetFetchResponseInput } from '../protocol/generated/offset-fetch-response.js';
import { coordinatorOf } from './group-common.js';
import type { ApiHandler } from './types.js';

/**
 * OffsetFetch: committed offsets of one group (v1-v7) or of several (v8+); with require_stable
 * (v7+) a partition holding uncommitted transactional offsets answers UNSTABLE_OFFSET_COMMIT.
 */
export const offsetFetchHandler: ApiHandler<OffsetFetchRequest, OffsetFetchResponseInput> = {
  apiKey: 9,
  name: 'OffsetFetch',
  // Kafka 4.0 removed v0 (KIP-896): "Version 0 was removed in Apache Kafka 4.0, Version 1 is the new baseline."
  minVersion: 1,
  maxVersion: 9,
  handle(request, ctx) {
    const coordinator = coordinatorOf(ctx);
    if (ctx.apiVersion >= 8) {
      const groups = request.groups.map((g) => {
        const r = coordinator.fetchOffsets(
          g.groupId,
          g.topics,
          { memberId: g.memberId, memberEpoch: g.memberEpoch },
          request.requireStable,
        );
        return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics };
      });
      return { throttleTimeMs: 0, topics: [], errorCode: 0, groups };
    }
    const r: OffsetFetchResult = coordinator.fetchOffsets(
      request.groupId,
      request.topics,
      undefined,
      ctx.apiVersion >= 7 && request.requireStable,
    );
    if (ctx.apiVersion <= 1 && r.errorCode !== 0) {
      // v0-v1 have no top-level error: every requested partition carries it.
      const topics = (request.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({
          partitionIndex: p,
          committedOffset: -1,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: r.errorCode,
        })),
      }));
      return { throttleTimeMs: 0, topics, errorCode: r.errorCode, groups: [] };
    }
    return { throttleTimeMs: 0, topics: r.topics, errorCode: r.errorCode, groups: [] };
  },
};
