import { apiVersionsHandler } from './api-versions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { fetchHandler } from './fetch.js';
import { groupHandlers } from './group-handlers.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';
import type { ApiHandler } from './types.js';

/**
 * Every API the broker serves. ApiVersions is built from this list, so a handler added here is
 * announced; `extra` lets other subsystems (groups, transactions) add theirs.
 */
export function createHandlers(extra: readonly ApiHandler[] = []): ApiHandler[] {
  const list: ApiHandler[] = [
    produceHandler,
    fetchHandler,
    listOffsetsHandler,
    metadataHandler,
    createTopicsHandler,
    deleteTopicsHandler,
    ...groupHandlers,
    ...extra,
  ];
  list.push(apiVersionsHandler(() => list));
  return list;
}
