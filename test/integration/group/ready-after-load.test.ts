import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerProcess } from '../../helpers/broker.js';
import { call } from '../../helpers/kafka-call.js';
import { RawClient } from '../../helpers/raw-client.js';

const OFFSET_COMMIT = 8;
const OFFSET_FETCH = 9;
const LIST_GROUPS = 16;
const COORDINATOR_LOAD_IN_PROGRESS = 14;
/** /ready polls before giving up (the load of a few records takes well under this). */
const READY_POLLS_MAX = 200;

interface OffsetCommitResponse {
  topics: { partitions: { errorCode: number }[] }[];
}
interface OffsetFetchResponse {
  errorCode: number;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: number; errorCode: number }[];
  }[];
}
interface ListGroupsResponse {
  errorCode: number;
  groups: { groupId: string }[];
}

function adminUrl(broker: BrokerProcess): string {
  assert.ok(broker.adminUrl, 'the broker printed its admin URL');
  return broker.adminUrl;
}

describe('/ready waits for __consumer_offsets to load', () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: { 'admin.listener': '127.0.0.1:0', 'offsets.topic.num.partitions': '4' },
    });
  });

  after(async () => {
    await broker?.close();
  });

  it('is ready at once without the topic, and after a restart only once group requests are served', async () => {
    const fresh = await fetch(`${adminUrl(broker)}/ready`);
    assert.equal(fresh.status, 200, 'nothing to load before __consumer_offsets exists');
    await fresh.text();

    let c = await RawClient.connect(broker.port);
    try {
      let committed: OffsetCommitResponse | null = null;
      for (let i = 0; i < 100; i++) {
        committed = await call<OffsetCommitResponse>(c, OFFSET_COMMIT, 2, {
          groupId: 'ready-group',
          generationIdOrMemberEpoch: -1,
          memberId: '',
          retentionTimeMs: -1,
          topics: [
            {
              name: 'ready-topic',
              partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: '' }],
            },
          ],
        });
        if (committed?.topics[0]?.partitions[0]?.errorCode !== COORDINATOR_LOAD_IN_PROGRESS) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(committed?.topics[0]?.partitions[0]?.errorCode, 0);
    } finally {
      c.destroy();
    }

    await broker.restart();
    // The broker replays __consumer_offsets at start, before any group request or probe asks.
    const loaded = () => broker.logs.filter((l) => l.msg === 'loaded __consumer_offsets').length;
    for (let i = 0; i < READY_POLLS_MAX && loaded() < 2; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(loaded(), 2, 'loaded at start, as at the first start');
    let ready: Response | null = null;
    for (let i = 0; i < READY_POLLS_MAX; i++) {
      ready = await fetch(`${adminUrl(broker)}/ready`);
      const body = (await ready.json()) as { status: string; reason?: string };
      if (ready.status === 200) {
        assert.deepEqual(body, { status: 'ready' });
        break;
      }
      assert.equal(ready.status, 503);
      assert.equal(body.status, 'not ready');
      assert.match(body.reason ?? '', /^(loading __consumer_offsets|not serving)$/);
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(ready?.status, 200, '/ready turned 200');

    // Once ready, the very first group requests are answered, not told to retry.
    c = await RawClient.connect(broker.port);
    try {
      const fetched = await call<OffsetFetchResponse>(c, OFFSET_FETCH, 7, {
        groupId: 'ready-group',
        topics: [{ name: 'ready-topic', partitionIndexes: [0] }],
        requireStable: false,
      });
      assert.equal(fetched?.errorCode, 0);
      assert.equal(fetched?.topics[0]?.partitions[0]?.committedOffset, 42);
      const listed = await call<ListGroupsResponse>(c, LIST_GROUPS, 5, { statesFilter: [], typesFilter: [] });
      assert.equal(listed?.errorCode, 0);
      assert.deepEqual(
        listed?.groups.map((g) => g.groupId),
        ['ready-group'],
      );
    } finally {
      c.destroy();
    }
  });
});
