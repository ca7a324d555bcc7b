import type { SyncGroupRequest } from '../protocol/generated/sync-group-request.js';
import type { SyncGroupResponseInput } from '../protocol/generated/sync-group-response.js';
import { coordinatorOf, toBuffer } from './group-common.js';
import type { ApiHandler } from './types.js';

/** SyncGroup: the leader hands in the assignment; every member waits for its share. */
export const syncGroupHandler: ApiHandler<SyncGroupRequest, SyncGroupResponseInput> = {
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const r = await coordinatorOf(ctx).syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: request.protocolType,
      protocolName: request.protocolName,
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      protocolType: r.protocolType,
      protocolName: r.protocolName,
      assignment: toBuffer(r.assignment),
    };
  },
  errorResponse(_request, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      protocolType: null,
      protocolName: null,
      assignment: Buffer.alloc(0),
    };
  },
};
