import { alterConfigsHandler } from './alter-configs.js';
import { apiVersionsHandler } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { fetchHandler } from './fetch.js';
import { groupApis } from './group-handlers.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { produceHandler } from './produce.js';
import type { ApiHandler, LazyApi, RequestContext } from './types.js';

/**
 * Every API the broker serves. ApiVersions is built from this list, so a handler added here is
 * announced; `lazy` lets other subsystems (transactions) add theirs, loaded at first use as the
 * group APIs are.
 */
export function createHandlers(lazy: readonly LazyApi[] = []): ApiHandler[] {
  // While a handler module loads, every request waits behind it (as the dispatcher does while
  // codecs load), so requests still reach their handlers in arrival order.
  let loading: Promise<void> | null = null;
  const inOrder = (h: ApiHandler): ApiHandler => {
    const queued: ApiHandler = {
      ...h,
      handle: (request: unknown, ctx: RequestContext) =>
        loading === null ? h.handle(request, ctx) : loading.then(() => queued.handle(request, ctx)),
    };
    return queued;
  };
  const loadOnFirstUse = (api: LazyApi): ApiHandler => {
    let real: ApiHandler | null = null;
    const self: ApiHandler = {
      apiKey: api.apiKey,
      name: api.name,
      minVersion: api.minVersion,
      maxVersion: api.maxVersion,
      ...(api.advertisedMinVersion === undefined ? {} : { advertisedMinVersion: api.advertisedMinVersion }),
      handle(request: unknown, ctx: RequestContext) {
        if (loading !== null) return loading.then(() => self.handle(request, ctx));
        if (real !== null) return real.handle(request, ctx);
        const load = api.load();
        const gate: Promise<void> = load.then(
          (h) => {
            real = h;
            if (loading === gate) loading = null;
          },
          () => {
            if (loading === gate) loading = null;
          },
        );
        loading = gate;
        return gate.then(async () => {
          // A failed load fails this request (the next one tries again).
          if (real === null) await load;
          return self.handle(request, ctx);
        });
      },
      // The dispatcher asks for it only after handle() failed, so the real handler is there by then.
      get errorResponse() {
        return real?.errorResponse?.bind(real);
      },
    };
    return self;
  };
  const list: ApiHandler[] = [
    produceHandler,
    fetchHandler,
    listOffsetsHandler,
    metadataHandler,
    createTopicsHandler,
    deleteTopicsHandler,
    deleteRecordsHandler,
    offsetForLeaderEpochHandler,
    describeConfigsHandler,
    alterConfigsHandler,
    describeLogDirsHandler,
    createPartitionsHandler,
    incrementalAlterConfigsHandler,
    describeClusterHandler,
  ].map(inOrder);
  for (const api of [...groupApis, ...lazy]) list.push(loadOnFirstUse(api));
  list.push(inOrder(apiVersionsHandler(() => list)));
  return list;
}
