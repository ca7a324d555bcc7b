import { ErrorCode } from '../errors.js';
import { groupRuntime } from '../group/offsets-topic.js';
import type { FindCoordinatorRequest } from '../protocol/generated/find-coordinator-request.js';
import type {
  FindCoordinatorResponseCoordinatorInput,
  FindCoordinatorResponseInput,
} from '../protocol/generated/find-coordinator-response.js';
import { brokersFor } from './metadata.js';
import type { ApiHandler, RequestContext } from './types.js';

const CoordinatorType = { group: 0, transaction: 1 } as const;

async function locate(
  key: string,
  keyType: number,
  ctx: RequestContext,
): Promise<FindCoordinatorResponseCoordinatorInput> {
  const none = { key, nodeId: -1, host: '', port: -1 };
  if (keyType !== CoordinatorType.group && keyType !== CoordinatorType.transaction) {
    return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported key type ${keyType}` };
  }
  if (keyType === CoordinatorType.group) {
    // Like Kafka, the first FindCoordinator creates __consumer_offsets; the coordinator then loads it.
    await groupRuntime(ctx.services).topicReady;
  }
  const self = brokersFor(ctx)[0];
  if (self === undefined)
    return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null };
  return {
    key,
    nodeId: self.nodeId,
    host: self.host,
    port: self.port,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
  };
}

/** FindCoordinator: a single node coordinates every group and transactional id. */
export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponseInput> = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  async handle(request, ctx) {
    if (ctx.apiVersion >= 4) {
      const coordinators = await Promise.all(
        request.coordinatorKeys.map((k) => locate(k, request.keyType, ctx)),
      );
      return { throttleTimeMs: 0, coordinators };
    }
    const c = await locate(request.key, request.keyType, ctx);
    return {
      throttleTimeMs: 0,
      errorCode: c.errorCode,
      errorMessage: c.errorMessage ?? null,
      nodeId: c.nodeId,
      host: c.host,
      port: c.port,
      coordinators: [],
    };
  },
};
