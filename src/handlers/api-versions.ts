import { ErrorCode } from '../errors.js';
import type { ApiHandler } from './types.js';

export const API_VERSIONS_KEY = 18;

interface ApiVersionsRequest {
  clientSoftwareName?: string;
  clientSoftwareVersion?: string;
}

interface ApiVersion {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersion[];
  throttleTimeMs: number;
  [field: string]: unknown;
}

/** KIP-511: what a client may call itself in ApiVersions v3+. */
const SOFTWARE_NAME_OR_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

/** The body Kafka sends for an ApiVersions version it does not know: v0, UNSUPPORTED_VERSION, its own range. */
export function apiVersionsErrorBody(self: ApiHandler): ApiVersionsResponse {
  return {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: [{ apiKey: API_VERSIONS_KEY, minVersion: self.minVersion, maxVersion: self.maxVersion }],
    throttleTimeMs: 0,
  };
}

/** ApiVersions, built from the handler registry so it announces exactly what the broker serves. */
export function apiVersionsHandler(
  registry: () => readonly ApiHandler[],
): ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
  let cached: ApiVersion[] | null = null;
  const apiKeys = (): ApiVersion[] => {
    cached ??= registry()
      .map((h) => ({
        apiKey: h.apiKey,
        minVersion: h.advertisedMinVersion ?? h.minVersion,
        maxVersion: h.maxVersion,
      }))
      .sort((a, b) => a.apiKey - b.apiKey);
    return cached;
  };
  return {
    apiKey: API_VERSIONS_KEY,
    name: 'ApiVersions',
    minVersion: 0,
    maxVersion: 4,
    handle(request, ctx) {
      if (ctx.apiVersion >= 3) {
        const name = request.clientSoftwareName ?? '';
        const version = request.clientSoftwareVersion ?? '';
        if (!SOFTWARE_NAME_OR_VERSION.test(name) || !SOFTWARE_NAME_OR_VERSION.test(version)) {
          return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 };
        }
      }
      return { errorCode: ErrorCode.NONE, apiKeys: apiKeys(), throttleTimeMs: 0 };
    },
  };
}
