import type { Partitions } from '../group/assignors.js';
import { fromPartitions } from '../group/consumer-group.js';
import type { ConsumerGroupDescribeRequest } from '../protocol/generated/consumer-group-describe-request.js';
import type { ConsumerGroupDescribeResponseInput } from '../protocol/generated/consumer-group-describe-response.js';
import { coordinatorOf } from './group-common.js';
import type { ApiHandler, RequestContext } from './types.js';

const OPERATIONS_OMITTED = -2147483648;
/** Without an authorizer every group operation is allowed: READ, DELETE, DESCRIBE. */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

function describeAssignment(p: Partitions, ctx: RequestContext) {
  const names = new Map(ctx.services.metadata.topics().map((t) => [t.topicId, t.name]));
  return {
    topicPartitions: fromPartitions(p).map((tp) => ({ ...tp, topicName: names.get(tp.topicId) ?? '' })),
  };
}

/** ConsumerGroupDescribe (KIP-848): epochs, assignor, and each member's current and target assignment. */
export const consumerGroupDescribeHandler: ApiHandler<
  ConsumerGroupDescribeRequest,
  ConsumerGroupDescribeResponseInput
> = {
  apiKey: 69,
  name: 'ConsumerGroupDescribe',
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    const coordinator = coordinatorOf(ctx);
    const ops = request.includeAuthorizedOperations ? ALL_GROUP_OPERATIONS : OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: request.groupIds.map((groupId) => {
        const d = coordinator.describeConsumerGroup(groupId);
        const g = d.group;
        if (g === null) {
          return {
            errorCode: d.errorCode,
            errorMessage: d.errorMessage,
            groupId,
            groupState: '',
            groupEpoch: 0,
            assignmentEpoch: 0,
            assignorName: '',
            members: [],
            authorizedOperations: ops,
          };
        }
        return {
          errorCode: 0,
          errorMessage: null,
          groupId,
          groupState: g.state,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          assignorName: g.assignorName(coordinator.config.consumerDefaultAssignor),
          members: [...g.members.values()].map((m) => ({
            memberId: m.memberId,
            instanceId: m.instanceId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames,
            subscribedTopicRegex: m.subscribedTopicRegex,
            assignment: describeAssignment(m.assigned, ctx),
            targetAssignment: describeAssignment(g.target.get(m.memberId) ?? new Map(), ctx),
          })),
          authorizedOperations: ops,
        };
      }),
    };
  },
};
