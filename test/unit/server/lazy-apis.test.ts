import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupApis } from '../../../src/handlers/group-handlers.js';
import { createHandlers } from '../../../src/handlers/index.js';
import type { ApiHandler, LazyApi } from '../../../src/handlers/types.js';
import { TXN_APIS, txnApis } from '../../../src/txn/apis.js';
import type { TxnCoordinatorHost } from '../../../src/txn/coordinator-host.js';
import { txnHandlers } from '../../../src/txn/handlers.js';
import { initProducerIdHandler } from '../../../src/txn/init-producer-id.js';
import type { TxnRuntime } from '../../../src/txn/runtime.js';

/** What ApiVersions announces and the dispatcher checks, before the handler's module loads. */
function announced(h: Omit<LazyApi, 'load'> | ApiHandler) {
  return {
    apiKey: h.apiKey,
    name: h.name,
    minVersion: h.minVersion,
    maxVersion: h.maxVersion,
    advertisedMinVersion: h.advertisedMinVersion,
  };
}

// The tables announce versions before the real handlers load; a drift would announce one range
// and serve another.
describe('APIs loaded at first use announce what their handlers serve', () => {
  it('group APIs', async () => {
    for (const api of groupApis) assert.deepEqual(announced(api), announced(await api.load()));
  });

  it('transaction APIs', () => {
    // Building the handlers asks nothing of the runtime: the stand-ins are never called.
    const real = [initProducerIdHandler({} as TxnRuntime), ...txnHandlers({} as TxnCoordinatorHost)];
    assert.deepEqual(
      TXN_APIS.map(announced),
      TXN_APIS.map((api) => {
        const h = real.find((r) => r.apiKey === api.apiKey);
        assert.ok(h, `a handler serves ${api.name}`);
        return announced(h);
      }),
    );
    assert.equal(real.length, TXN_APIS.length);
  });

  it('every API is registered once', () => {
    const keys = createHandlers(txnApis({} as TxnRuntime)).map((h) => h.apiKey);
    assert.equal(new Set(keys).size, keys.length);
  });
});
