import type { DeleteGroupsRequest } from '../protocol/generated/delete-groups-request.js';
import type { DeleteGroupsResponseInput } from '../protocol/generated/delete-groups-response.js';
import { coordinatorOf } from './group-common.js';
import type { ApiHandler } from './types.js';

/** DeleteGroups: only empty groups; their offsets and metadata get tombstones. */
export const deleteGroupsHandler: ApiHandler<DeleteGroupsRequest, DeleteGroupsResponseInput> = {
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const coordinator = coordinatorOf(ctx);
    const results = await Promise.all(
      request.groupsNames.map(async (groupId) => ({
        groupId,
        errorCode: await coordinator.deleteGroup(groupId),
      })),
    );
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
};
