/**
 * /ready and `__transaction_state`: once the topic exists, a restarted broker reports ready only
 * when the transaction coordinator replayed it, and the first transactional request after that is
 * answered (the producer's epoch moves on from the replayed one), never told to retry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerProcess } from '../../helpers/broker.js';
import { call } from '../../helpers/kafka-call.js';
import { RawClient } from '../../helpers/raw-client.js';

const INIT_PRODUCER_ID = 22;
const NONE = 0;
/** /ready polls before giving up (replaying a few records takes well under this). */
const READY_POLLS_MAX = 200;

interface InitProducerIdResponse {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

const initTransactional = (c: RawClient) =>
  call<InitProducerIdResponse>(c, INIT_PRODUCER_ID, 4, {
    transactionalId: 'ready-tx',
    transactionTimeoutMs: 60000,
    producerId: -1,
    producerEpoch: -1,
  });

function adminUrl(broker: BrokerProcess): string {
  assert.ok(broker.adminUrl, 'the broker printed its admin URL');
  return broker.adminUrl;
}

describe('/ready waits for __transaction_state to load', () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: { 'admin.listener': '127.0.0.1:0', 'transaction.state.log.num.partitions': '2' },
    });
  });
  after(async () => {
    await broker?.close();
  });

  it('turns ready after a restart only once transactional requests are served', async () => {
    let c = await RawClient.connect(broker.port);
    let first: InitProducerIdResponse | null = null;
    try {
      // The first request creates the topic; the coordinator answers once it loaded it.
      for (let i = 0; i < 100; i++) {
        first = await initTransactional(c);
        if (first?.errorCode === NONE) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(first?.errorCode, NONE);
    } finally {
      c.destroy();
    }

    await broker.restart();
    let ready: Response | null = null;
    for (let i = 0; i < READY_POLLS_MAX; i++) {
      ready = await fetch(`${adminUrl(broker)}/ready`);
      const body = (await ready.json()) as { status: string; reason?: string };
      if (ready.status === 200) break;
      assert.match(
        body.reason ?? '',
        /^(loading __transaction_state|loading __consumer_offsets|not serving)$/,
      );
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(ready?.status, 200, '/ready turned 200');

    c = await RawClient.connect(broker.port);
    try {
      const again = await initTransactional(c);
      assert.equal(again?.errorCode, NONE, 'answered at the first try');
      assert.equal(
        again?.producerId,
        first!.producerId,
        'the replayed transactional id keeps its producer id',
      );
      assert.equal(again?.producerEpoch, first!.producerEpoch + 1);
    } finally {
      c.destroy();
    }
  });
});
