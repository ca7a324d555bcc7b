import { ErrorCode } from '../errors.js';
import type { JoinGroupRequest } from '../protocol/generated/join-group-request.js';
import type { JoinGroupResponseInput } from '../protocol/generated/join-group-response.js';
import { clientHostOf, coordinatorOf, toBuffer } from './group-common.js';
import type { ApiHandler } from './types.js';

/** JoinGroup: parks until the join phase of the group's rebalance completes. */
export const joinGroupHandler: ApiHandler<JoinGroupRequest, JoinGroupResponseInput> = {
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  async handle(request, ctx) {
    const r = await coordinatorOf(ctx).joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      sessionTimeoutMs: request.sessionTimeoutMs,
      // v0 has no rebalance timeout: the session timeout serves as both.
      rebalanceTimeoutMs: ctx.apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx),
      requireKnownMemberId: ctx.apiVersion >= 4,
      supportsSkipAssignment: ctx.apiVersion >= 9,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      // Before v7 the protocol name is not nullable; Kafka sends "" then.
      protocolName: ctx.apiVersion < 7 ? (r.protocolName ?? '') : r.protocolName,
      leader: r.leader,
      skipAssignment: r.skipAssignment,
      memberId: r.memberId,
      members: r.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: toBuffer(m.metadata),
      })),
    };
  },
  errorResponse(request, errorCode, ctx) {
    return {
      throttleTimeMs: 0,
      errorCode: errorCode === ErrorCode.NONE ? ErrorCode.UNKNOWN_SERVER_ERROR : errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: ctx.apiVersion < 7 ? '' : null,
      leader: '',
      skipAssignment: false,
      memberId: request.memberId,
      members: [],
    };
  },
};
