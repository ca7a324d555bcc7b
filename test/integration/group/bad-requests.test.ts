import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeDeleteGroupsResponse } from '../../../src/protocol/generated/delete-groups-response.js';
import { encodeDeleteGroupsRequest } from '../../../src/protocol/generated/delete-groups-request.js';
import { decodeDescribeGroupsResponse } from '../../../src/protocol/generated/describe-groups-response.js';
import { encodeDescribeGroupsRequest } from '../../../src/protocol/generated/describe-groups-request.js';
import { decodeHeartbeatResponse } from '../../../src/protocol/generated/heartbeat-response.js';
import { encodeHeartbeatRequest } from '../../../src/protocol/generated/heartbeat-request.js';
import { decodeJoinGroupResponse } from '../../../src/protocol/generated/join-group-response.js';
import { encodeJoinGroupRequest } from '../../../src/protocol/generated/join-group-request.js';
import { decodeOffsetCommitResponse } from '../../../src/protocol/generated/offset-commit-response.js';
import { encodeOffsetCommitRequest } from '../../../src/protocol/generated/offset-commit-request.js';
import { decodeSyncGroupResponse } from '../../../src/protocol/generated/sync-group-response.js';
import { encodeSyncGroupRequest } from '../../../src/protocol/generated/sync-group-request.js';
import { decodeFindCoordinatorResponse } from '../../../src/protocol/generated/find-coordinator-response.js';
import { encodeFindCoordinatorRequest } from '../../../src/protocol/generated/find-coordinator-request.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { BrokerProcess } from '../../helpers/broker.js';
import { RawClient, requestHeaderV1 } from '../../helpers/raw-client.js';

const ErrorCode = {
  NONE: 0,
  OFFSET_METADATA_TOO_LARGE: 12,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
} as const;

/** Non-flexible versions only: the request header is v1 and the response header is the correlation id. */
async function call<T>(
  c: RawClient,
  apiKey: number,
  version: number,
  encode: (w: Writer) => void,
  decode: (r: Reader, version: number) => T,
): Promise<T> {
  const w = new Writer(256);
  encode(w);
  c.send(Buffer.concat([requestHeaderV1(apiKey, version, 1), w.toBuffer()]));
  const frame = await c.next();
  assert.ok(frame, 'the broker answered');
  const r = new Reader(frame);
  r.int32();
  return decode(r, version);
}

describe('consumer groups: bad requests get Kafka error codes', () => {
  let broker: BrokerProcess;
  let c: RawClient;

  before(async () => {
    broker = await BrokerProcess.start({ overrides: { 'group.initial.rebalance.delay.ms': '0' } });
    c = await RawClient.connect(broker.port);
    // FindCoordinator creates __consumer_offsets and points at this broker.
    const fc = await call(
      c,
      10,
      2,
      (w) => encodeFindCoordinatorRequest(w, { key: 'g', keyType: 0 }, 2),
      decodeFindCoordinatorResponse,
    );
    assert.equal(fc.errorCode, ErrorCode.NONE);
    assert.equal(fc.port, broker.port);
  });

  after(async () => {
    c?.destroy();
    await broker?.close();
  });

  const join = (groupId: string, memberId: string, sessionTimeoutMs = 10_000, protocolType = 'consumer') =>
    call(
      c,
      11,
      5,
      (w) =>
        encodeJoinGroupRequest(
          w,
          {
            groupId,
            sessionTimeoutMs,
            rebalanceTimeoutMs: 10_000,
            memberId,
            groupInstanceId: null,
            protocolType,
            protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0]) }],
          },
          5,
        ),
      decodeJoinGroupResponse,
    );

  it('JoinGroup: empty group id, bad session timeout, unknown member, MEMBER_ID_REQUIRED, protocol mismatch', async () => {
    assert.equal((await join('', '')).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal((await join('bad-g', '', 10)).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await join('never-seen', 'some-member')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const first = await join('bad-g', '');
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.ok(first.memberId.length > 0);
    const joined = await join('bad-g', first.memberId);
    assert.equal(joined.errorCode, ErrorCode.NONE);
    assert.equal(joined.generationId, 1);
    assert.equal(joined.leader, first.memberId);
    assert.equal(
      (await join('bad-g', '', 10_000, 'connect')).errorCode,
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );

    const hb = (memberId: string, generationId: number, groupId = 'bad-g') =>
      call(
        c,
        12,
        3,
        (w) => encodeHeartbeatRequest(w, { groupId, generationId, memberId, groupInstanceId: null }, 3),
        decodeHeartbeatResponse,
      );
    assert.equal((await hb(first.memberId, 99)).errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await hb('who', 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await hb('who', 1, 'no-such-group')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

    const sync = (memberId: string, generationId: number) =>
      call(
        c,
        14,
        3,
        (w) =>
          encodeSyncGroupRequest(
            w,
            { groupId: 'bad-g', generationId, memberId, groupInstanceId: null, assignments: [] },
            3,
          ),
        decodeSyncGroupResponse,
      );
    assert.equal((await sync(first.memberId, 7)).errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await sync(first.memberId, 1)).errorCode, ErrorCode.NONE);

    const commit = (memberId: string, generationId: number, metadata: string, version = 7) =>
      call(
        c,
        8,
        version,
        (w) =>
          encodeOffsetCommitRequest(
            w,
            {
              groupId: 'bad-g',
              generationIdOrMemberEpoch: generationId,
              memberId,
              groupInstanceId: null,
              topics: [
                {
                  name: 't',
                  partitions: [
                    {
                      partitionIndex: 0,
                      committedOffset: 5,
                      committedLeaderEpoch: -1,
                      committedMetadata: metadata,
                    },
                  ],
                },
              ],
            },
            version,
          ),
        decodeOffsetCommitResponse,
      );
    const code = (r: Awaited<ReturnType<typeof commit>>) => r.topics[0]?.partitions[0]?.errorCode;
    assert.equal(code(await commit(first.memberId, 2, '')), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(code(await commit('intruder', 1, '')), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(
      code(await commit(first.memberId, 1, 'x'.repeat(5000))),
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
    );
    assert.equal(code(await commit(first.memberId, 1, 'ok')), ErrorCode.NONE);

    const del = await call(
      c,
      42,
      1,
      (w) => encodeDeleteGroupsRequest(w, { groupsNames: ['bad-g', 'no-such-group'] }, 1),
      decodeDeleteGroupsResponse,
    );
    assert.deepEqual(
      del.results.map((r) => [r.groupId, r.errorCode]),
      [
        ['bad-g', ErrorCode.NON_EMPTY_GROUP],
        ['no-such-group', ErrorCode.GROUP_ID_NOT_FOUND],
      ],
    );
    const desc = await call(
      c,
      15,
      4,
      (w) => encodeDescribeGroupsRequest(w, { groups: ['bad-g', 'no-such-group'] }, 4),
      decodeDescribeGroupsResponse,
    );
    assert.equal(desc.groups[0]?.groupState, 'Stable');
    assert.equal(desc.groups[0]?.members[0]?.memberId, first.memberId);
    assert.equal(desc.groups[1]?.groupState, 'Dead');
  });
});
