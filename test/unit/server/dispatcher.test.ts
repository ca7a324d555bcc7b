/**
 * The dispatcher loads an API's codec modules on its first request: that request is answered
 * (asynchronously), later ones synchronously, and requests still reach handlers in arrival order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/core/log.js';
import type { ApiHandler, BrokerServices } from '../../../src/handlers/types.js';
import { ApiKey, apiByKey, requestHeaderVersion } from '../../../src/protocol/generated/apis.js';
import { loadedApiCodecs } from '../../../src/protocol/generated/api-meta.js';
import { defaultDescribeGroupsResponse } from '../../../src/protocol/generated/describe-groups-response.js';
import { defaultListGroupsResponse } from '../../../src/protocol/generated/list-groups-response.js';
import { encodeRequestHeader } from '../../../src/protocol/generated/request-header.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { CloseConnection, type Connection } from '../../../src/server/connection.js';
import { createDispatcher } from '../../../src/server/dispatcher.js';

const conn = { id: 1, remote: '127.0.0.1:1', listenerName: 'PLAINTEXT' } as unknown as Connection;
const services = { metrics: { observeRequest() {} } } as unknown as BrokerServices;

function frame(apiKey: number, version: number, correlationId: number, body: object): Buffer {
  const w = new Writer();
  encodeRequestHeader(
    w,
    { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 't' },
    requestHeaderVersion(apiKey, version),
  );
  apiByKey(apiKey)!.encodeRequest(w, body, version);
  return w.toBuffer();
}

function handler(apiKey: number, name: string, calls: string[], response: () => object): ApiHandler {
  return {
    apiKey,
    name,
    minVersion: 0,
    maxVersion: apiByKey(apiKey)!.maxVersion,
    handle: () => {
      calls.push(name);
      return response();
    },
  };
}

function correlationIdOf(chunks: Buffer[] | null): number {
  assert.ok(chunks);
  const frame = Buffer.concat(chunks);
  const r = new Reader(frame);
  assert.equal(r.int32(), frame.length - 4, 'the size prefix counts the rest of the frame');
  return r.int32();
}

describe('dispatcher: codecs load on first use', () => {
  it('answers the first request of an API after loading its codecs, later ones synchronously, in arrival order', async () => {
    const calls: string[] = [];
    const handlers = new Map<number, ApiHandler>([
      [ApiKey.ListGroups, handler(ApiKey.ListGroups, 'ListGroups', calls, defaultListGroupsResponse)],
      [
        ApiKey.DescribeGroups,
        handler(ApiKey.DescribeGroups, 'DescribeGroups', calls, defaultDescribeGroupsResponse),
      ],
    ]);
    const dispatch = createDispatcher(handlers, services, createLogger('silent'));
    assert.equal(loadedApiCodecs(ApiKey.ListGroups), undefined);
    assert.equal(loadedApiCodecs(ApiKey.DescribeGroups), undefined);

    // Pipelined: an unloaded API, another unloaded API, then the first again.
    const a = dispatch(frame(ApiKey.ListGroups, 4, 1, { statesFilter: [] }), conn);
    const b = dispatch(frame(ApiKey.DescribeGroups, 5, 2, { groups: ['g'] }), conn);
    const c = dispatch(frame(ApiKey.ListGroups, 4, 3, { statesFilter: [] }), conn);
    assert.ok(a instanceof Promise && b instanceof Promise && c instanceof Promise);
    assert.deepEqual(calls, [], 'no handler runs before its codecs are there');
    assert.equal(correlationIdOf(await a), 1);
    assert.equal(correlationIdOf(await b), 2);
    assert.equal(correlationIdOf(await c), 3);
    assert.deepEqual(calls, ['ListGroups', 'DescribeGroups', 'ListGroups'], 'arrival order');

    const d = dispatch(frame(ApiKey.ListGroups, 4, 4, { statesFilter: [] }), conn);
    assert.ok(Array.isArray(d), 'loaded: answered synchronously');
    assert.equal(correlationIdOf(d), 4);
  });

  it('still closes the connection at once for an API without a handler', () => {
    const dispatch = createDispatcher(new Map(), services, createLogger('silent'));
    assert.throws(
      () => dispatch(frame(ApiKey.ListGroups, 4, 1, { statesFilter: [] }), conn),
      CloseConnection,
    );
  });
});
