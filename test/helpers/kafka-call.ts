import { apiByKey } from '../../src/protocol/generated/apis.js';
import { encodeRequestHeader } from '../../src/protocol/generated/request-header.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import type { RawClient } from './raw-client.js';

let nextCorrelationId = 1;

/**
 * One request/response over a RawClient with the generated codecs: encodes the header and
 * body for `version`, decodes the response. Returns null when the broker closes instead.
 */
export async function call<T = Record<string, unknown>>(
  client: RawClient,
  apiKey: number,
  version: number,
  body: unknown,
): Promise<T | null> {
  const api = apiByKey(apiKey);
  if (!api) throw new Error(`no api ${apiKey}`);
  const correlationId = nextCorrelationId++;
  const w = new Writer();
  encodeRequestHeader(
    w,
    { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'kafka-call' },
    api.requestHeaderVersions[version]!,
  );
  api.encodeRequest(w, body, version);
  client.send(w.toBuffer());
  const frame = await client.next();
  if (!frame) return null;
  const r = new Reader(frame);
  const got = r.int32();
  if (got !== correlationId) throw new Error(`correlation id ${got}, expected ${correlationId}`);
  if (api.responseHeaderVersions[version] === 1) r.unknownTaggedFields();
  return api.decodeResponse(r, version) as T;
}
