import { fromPartitions } from '../group/consumer-group.js';
import type { ConsumerGroupHeartbeatRequest } from '../protocol/generated/consumer-group-heartbeat-request.js';
import type { ConsumerGroupHeartbeatResponseInput } from '../protocol/generated/consumer-group-heartbeat-response.js';
import { clientHostOf, coordinatorOf } from './group-common.js';
import type { ApiHandler } from './types.js';

/** ConsumerGroupHeartbeat (KIP-848): join, stay, reconcile and leave in one API. */
export const consumerGroupHeartbeatHandler: ApiHandler<
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponseInput
> = {
  apiKey: 68,
  name: 'ConsumerGroupHeartbeat',
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const r = await coordinatorOf(ctx).consumerGroupHeartbeat({
      groupId: request.groupId,
      memberId: request.memberId,
      memberEpoch: request.memberEpoch,
      instanceId: request.instanceId,
      rackId: request.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      subscribedTopicNames: request.subscribedTopicNames,
      subscribedTopicRegex: ctx.apiVersion >= 1 ? request.subscribedTopicRegex : null,
      serverAssignor: request.serverAssignor,
      topicPartitions: request.topicPartitions,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx),
      apiVersion: ctx.apiVersion,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment === null ? null : { topicPartitions: fromPartitions(r.assignment) },
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      memberId: request.memberId === '' ? null : request.memberId,
      memberEpoch: request.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    };
  },
};
