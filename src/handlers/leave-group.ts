import type { LeaveGroupRequest } from '../protocol/generated/leave-group-request.js';
import type { LeaveGroupResponseInput } from '../protocol/generated/leave-group-response.js';
import { coordinatorOf } from './group-common.js';
import type { ApiHandler } from './types.js';

/** LeaveGroup: one member (v0-v2) or a batch of members, by member id or group.instance.id (v3+). */
export const leaveGroupHandler: ApiHandler<LeaveGroupRequest, LeaveGroupResponseInput> = {
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    const batched = ctx.apiVersion >= 3;
    const members = batched
      ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
      : [{ memberId: request.memberId, groupInstanceId: null }];
    const r = coordinatorOf(ctx).leaveGroup(request.groupId, members);
    if (batched) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    // Before v3 the single member's error is the response's error.
    const only = r.members[0];
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode !== 0 ? r.errorCode : (only?.errorCode ?? 0),
      members: [],
    };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, members: [] };
  },
};
