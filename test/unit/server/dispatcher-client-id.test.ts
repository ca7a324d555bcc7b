/**
 * The dispatcher remembers a connection's last client id as bytes and skips decoding it when the
 * next request carries the same bytes: handlers must still see each request's own client id, and
 * the body must be read from the right place after header tagged fields.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/core/log.js';
import type { ApiHandler, BrokerServices } from '../../../src/handlers/types.js';
import { ApiKey, apiByKey, requestHeaderVersion } from '../../../src/protocol/generated/apis.js';
import { loadApiCodecs } from '../../../src/protocol/generated/api-meta.js';
import { defaultListGroupsResponse } from '../../../src/protocol/generated/list-groups-response.js';
import { encodeRequestHeader } from '../../../src/protocol/generated/request-header.js';
import { Writer } from '../../../src/protocol/writer.js';
import type { Connection } from '../../../src/server/connection.js';
import { createDispatcher } from '../../../src/server/dispatcher.js';

const services = { metrics: { observeRequest() {} } } as unknown as BrokerServices;

function frame(version: number, clientId: string | null, states: string[], tagged = false): Buffer {
  const w = new Writer();
  const headerVersion = requestHeaderVersion(ApiKey.ListGroups, version);
  encodeRequestHeader(
    w,
    {
      requestApiKey: ApiKey.ListGroups,
      requestApiVersion: version,
      correlationId: 1,
      clientId,
      _unknownTaggedFields: tagged ? [{ tag: 7, data: Buffer.from('xyz') }] : undefined,
    },
    headerVersion,
  );
  apiByKey(ApiKey.ListGroups)!.encodeRequest(w, { statesFilter: states, typesFilter: [] }, version);
  return w.toBuffer();
}

describe('dispatcher: client id per request', () => {
  it('gives each request its own client id and body, whatever the previous request on the connection sent', async () => {
    await loadApiCodecs(ApiKey.ListGroups);
    const seen: { clientId: string | null; states: string[] }[] = [];
    const handler: ApiHandler = {
      apiKey: ApiKey.ListGroups,
      name: 'ListGroups',
      minVersion: 0,
      maxVersion: apiByKey(ApiKey.ListGroups)!.maxVersion,
      handle: (req: { statesFilter?: string[] }, ctx) => {
        seen.push({ clientId: ctx.clientId, states: req.statesFilter ?? [] });
        return defaultListGroupsResponse();
      },
    };
    const dispatch = createDispatcher(
      new Map([[ApiKey.ListGroups, handler]]),
      services,
      createLogger('silent'),
    );
    const conn = { id: 'c', remote: '127.0.0.1:1', listenerName: 'PLAINTEXT' } as unknown as Connection;
    const sent: [number, string | null, string[], boolean][] = [
      [4, 'rdkafka', ['Stable'], false],
      [4, 'rdkafka', ['Empty'], true],
      [4, 'rdkafkb', ['Dead'], false],
      [4, 'rdkafkb2', [], true],
      [4, 'rdkafkb', ['PreparingRebalance'], false],
      [4, '', ['Stable'], false],
      [4, '', ['Empty'], true],
      [4, null, ['Dead'], false],
      [4, 'é', ['Stable'], false],
      [4, 'é', ['Empty'], false],
      [3, 'é', [], true],
      [2, 'é', [], false],
      [2, 'rdkafka', [], false],
      [2, 'rdkafka', [], false],
      [4, 'rdkafka', ['Stable'], true],
    ];
    for (const [version, clientId, states, tagged] of sent) {
      const out = dispatch(frame(version, clientId, states, tagged), conn);
      assert.ok(Array.isArray(out), 'answered synchronously');
    }
    assert.deepEqual(
      seen,
      sent.map(([, clientId, states]) => ({ clientId, states })),
    );
  });
});
