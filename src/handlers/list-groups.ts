import { ErrorCode } from '../errors.js';
import type { ListGroupsRequest } from '../protocol/generated/list-groups-request.js';
import type { ListGroupsResponseInput } from '../protocol/generated/list-groups-response.js';
import { coordinatorOf } from './group-common.js';
import type { ApiHandler } from './types.js';

/**
 * ListGroups, with the state (v4+, case-insensitive, trimmed) and type (v5+: `classic`, `consumer`)
 * filters, as Kafka 4.0's coordinator answers it.
 */
export const listGroupsHandler: ApiHandler<ListGroupsRequest, ListGroupsResponseInput> = {
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    const coordinator = coordinatorOf(ctx);
    // Kafka lists every coordinator partition at once: one still loading fails the whole answer.
    if (coordinator.isLoading())
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const groups = coordinator.listGroups(
      ctx.apiVersion >= 4 ? request.statesFilter : [],
      ctx.apiVersion >= 5 ? request.typesFilter : [],
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] };
  },
};
