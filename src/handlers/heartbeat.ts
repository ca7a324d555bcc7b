import type { HeartbeatRequest } from '../protocol/generated/heartbeat-request.js';
import type { HeartbeatResponseInput } from '../protocol/generated/heartbeat-response.js';
import { coordinatorOf } from './group-common.js';
import type { ApiHandler } from './types.js';

/** Heartbeat: keeps a classic member's session alive and tells it when to rejoin. */
export const heartbeatHandler: ApiHandler<HeartbeatRequest, HeartbeatResponseInput> = {
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const errorCode = coordinatorOf(ctx).heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
    });
    return { throttleTimeMs: 0, errorCode };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
};
