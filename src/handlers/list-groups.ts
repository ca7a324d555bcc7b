import { ErrorCode } from '../errors.js';
import type { ListGroupsRequest } from '../protocol/generated/list-groups-request.js';
import type { ListGroupsResponseInput } from '../protocol/generated/list-groups-response.js';
import { coordinatorOf } from './group-common.js';
import type { ApiHandler } from './types.js';

/** ListGroups, with the state (v4+) and type (v5+) filters. */
export const listGroupsHandler: ApiHandler<ListGroupsRequest, ListGroupsResponseInput> = {
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    const coordinator = coordinatorOf(ctx);
    const groups = coordinator.listGroups(
      ctx.apiVersion >= 4 ? request.statesFilter : [],
      ctx.apiVersion >= 5 ? request.typesFilter : [],
    );
    const errorCode = coordinator.isLoading() ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
    return { throttleTimeMs: 0, errorCode, groups };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] };
  },
};
