import type { OffsetDeleteRequest } from '../protocol/generated/offset-delete-request.js';
import type { OffsetDeleteResponseInput } from '../protocol/generated/offset-delete-response.js';
import { coordinatorOf } from './group-common.js';
import type { ApiHandler } from './types.js';

/** OffsetDelete: drops committed offsets of topics the group no longer consumes. */
export const offsetDeleteHandler: ApiHandler<OffsetDeleteRequest, OffsetDeleteResponseInput> = {
  apiKey: 47,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const r = await coordinatorOf(ctx).deleteOffsets(
      request.groupId,
      request.topics.map((t) => ({
        name: t.name,
        partitionIndexes: t.partitions.map((p) => p.partitionIndex),
      })),
    );
    return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
  },
  errorResponse(_request, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
};
