import { ErrorCode } from '../errors.js';
import type { DescribeClusterRequest } from '../protocol/generated/describe-cluster-request.js';
import type { DescribeClusterResponseInput } from '../protocol/generated/describe-cluster-response.js';
import { AUTHORIZED_OPERATIONS_OMITTED, brokersFor } from './metadata.js';
import type { ApiHandler } from './types.js';

/** DescribeCluster's endpoint types. */
const EndpointType = { broker: 1, controller: 2 } as const;
/** Without an authorizer every cluster operation is allowed (Kafka's bit set for CLUSTER). */
const ALL_CLUSTER_OPERATIONS =
  (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13);

export const describeClusterHandler: ApiHandler<DescribeClusterRequest, DescribeClusterResponseInput> = {
  apiKey: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const endpointType = ctx.apiVersion >= 1 ? request.endpointType : EndpointType.broker;
    const base = { throttleTimeMs: 0, endpointType, clusterId: ctx.services.metadata.clusterId };
    if (endpointType !== EndpointType.broker) {
      return {
        ...base,
        errorCode:
          endpointType === EndpointType.controller
            ? ErrorCode.MISMATCHED_ENDPOINT_TYPE
            : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage:
          endpointType === EndpointType.controller
            ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
            : `Unsupported endpoint type ${endpointType}`,
        controllerId: -1,
        brokers: [],
      };
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      controllerId: ctx.services.replicas.nodeId,
      brokers: brokersFor(ctx).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? ALL_CLUSTER_OPERATIONS
        : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
};
