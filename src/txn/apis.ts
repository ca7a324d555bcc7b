import type { ApiHandler, LazyApi } from '../handlers/types.js';
import type { TxnRuntime } from './runtime.js';

const INIT_PRODUCER_ID = 22;

/** The idempotence and transaction APIs as announced; init-producer-id.ts and handlers.ts serve them. */
export const TXN_APIS: readonly Omit<LazyApi, 'load'>[] = [
  { apiKey: INIT_PRODUCER_ID, name: 'InitProducerId', minVersion: 0, maxVersion: 5 },
  { apiKey: 24, name: 'AddPartitionsToTxn', minVersion: 0, maxVersion: 4 },
  { apiKey: 25, name: 'AddOffsetsToTxn', minVersion: 0, maxVersion: 4 },
  { apiKey: 26, name: 'EndTxn', minVersion: 0, maxVersion: 4 },
  { apiKey: 27, name: 'WriteTxnMarkers', minVersion: 1, maxVersion: 1 },
  { apiKey: 28, name: 'TxnOffsetCommit', minVersion: 0, maxVersion: 4 },
  { apiKey: 61, name: 'DescribeProducers', minVersion: 0, maxVersion: 0 },
  { apiKey: 65, name: 'DescribeTransactions', minVersion: 0, maxVersion: 0 },
  { apiKey: 66, name: 'ListTransactions', minVersion: 0, maxVersion: 1 },
];

/**
 * The transaction APIs, whose handlers (and the transaction coordinator with them) load at the
 * first such request: the produce path only needs the runtime's producer states.
 */
export function txnApis(rt: TxnRuntime): LazyApi[] {
  let handlers: Promise<readonly ApiHandler[]> | null = null;
  const load = (): Promise<readonly ApiHandler[]> => {
    handlers ??= Promise.all([rt.coordinatorHost(), import('./handlers.js')]).then(
      ([host, m]) => m.txnHandlers(host),
      (err: unknown) => {
        handlers = null;
        throw err;
      },
    );
    return handlers;
  };
  return TXN_APIS.map((api) => ({
    ...api,
    load: () =>
      api.apiKey === INIT_PRODUCER_ID
        ? import('./init-producer-id.js').then((m) => m.initProducerIdHandler(rt))
        : load().then((list) => {
            const h = list.find((x) => x.apiKey === api.apiKey);
            if (h === undefined) throw new Error(`txn/handlers.ts serves no ${api.name}`);
            return h;
          }),
  }));
}
