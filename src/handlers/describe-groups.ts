import type { DescribeGroupsRequest } from '../protocol/generated/describe-groups-request.js';
import type { DescribeGroupsResponseInput } from '../protocol/generated/describe-groups-response.js';
import { coordinatorOf, toBuffer } from './group-common.js';
import type { ApiHandler } from './types.js';

/** Kafka's "not requested" value for authorized operations. */
const OPERATIONS_OMITTED = -2147483648;
/** Without an authorizer every group operation is allowed: READ, DELETE, DESCRIBE. */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

/** DescribeGroups: state, protocol and members; metadata and assignments only when Stable, as Kafka. */
export const describeGroupsHandler: ApiHandler<DescribeGroupsRequest, DescribeGroupsResponseInput> = {
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    const coordinator = coordinatorOf(ctx);
    const ops =
      ctx.apiVersion >= 3 && request.includeAuthorizedOperations ? ALL_GROUP_OPERATIONS : OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => {
        const d = coordinator.describeGroup(groupId);
        return {
          ...d,
          members: d.members.map((m) => ({
            ...m,
            memberMetadata: toBuffer(m.memberMetadata),
            memberAssignment: toBuffer(m.memberAssignment),
          })),
          authorizedOperations: ops,
        };
      }),
    };
  },
};
