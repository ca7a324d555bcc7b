import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { javaStringHashCode, partitionForGroup } from '../../../src/group/hash.js';
import {
  decodeCoordinatorRecord,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  RecordFormatError,
} from '../../../src/group/records.js';

describe('group placement', () => {
  it('hashes like java.lang.String.hashCode', () => {
    assert.equal(javaStringHashCode(''), 0);
    assert.equal(javaStringHashCode('a'), 97);
    assert.equal(javaStringHashCode('hello'), 99162322);
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
    assert.equal(javaStringHashCode('\u00e9t\u00e9'), 233 * 31 * 31 + 116 * 31 + 233);
  });

  it('maps Integer.MIN_VALUE to partition 0 as Kafka Utils.abs does', () => {
    assert.equal(partitionForGroup('polygenelubricants', 50), 0);
    assert.equal(partitionForGroup('hello', 50), 99162322 % 50);
    assert.equal(partitionForGroup('a', 50), 47);
  });
});

describe('__consumer_offsets records', () => {
  it('round-trips offset commits and tombstones', () => {
    const key = encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 4 });
    const value = encodeOffsetCommitValue({
      offset: 2 ** 40,
      leaderEpoch: 3,
      metadata: 'meta',
      commitTimestamp: 1700000000000,
      expireTimestamp: -1,
    });
    assert.deepEqual(decodeCoordinatorRecord({ key, value }), {
      type: 'offset',
      key: { group: 'g', topic: 't', partition: 4 },
      value: {
        offset: 2 ** 40,
        leaderEpoch: 3,
        metadata: 'meta',
        commitTimestamp: 1700000000000,
        expireTimestamp: -1,
      },
    });
    assert.deepEqual(decodeCoordinatorRecord({ key, value: null }), {
      type: 'offset',
      key: { group: 'g', topic: 't', partition: 4 },
      value: null,
    });
    // Kafka's version-3 value layout, byte for byte.
    assert.deepEqual(
      [
        ...encodeOffsetCommitValue({
          offset: 1,
          leaderEpoch: -1,
          metadata: '',
          commitTimestamp: 2,
          expireTimestamp: -1,
        }),
      ],
      [0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
    );
  });

  it('round-trips group metadata with members', () => {
    const value = {
      protocolType: 'consumer',
      generation: 5,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 123,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: 'i1',
          clientId: 'c',
          clientHost: '/127.0.0.1',
          rebalanceTimeout: 300000,
          sessionTimeout: 45000,
          subscription: new Uint8Array([1, 2]),
          assignment: new Uint8Array([3]),
        },
      ],
    };
    const decoded = decodeCoordinatorRecord({
      key: encodeGroupMetadataKey('grp'),
      value: encodeGroupMetadataValue(value),
    });
    assert.equal(decoded.type, 'group');
    assert.ok(decoded.type === 'group');
    assert.equal(decoded.group, 'grp');
    assert.deepEqual(decoded.value, value);
  });

  it('reads the flexible version 4 of OffsetCommitValue', () => {
    // version 4: offset, leaderEpoch, compact string "ab", commitTimestamp, empty tagged fields
    const v4 = Buffer.from([
      0, 4, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1, 3, 0x61, 0x62, 0, 0, 0, 0, 0, 0, 0, 7, 0,
    ]);
    const d = decodeCoordinatorRecord({
      key: encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 0 }),
      value: v4,
    });
    assert.ok(d.type === 'offset');
    assert.deepEqual(d.value, {
      offset: 9,
      leaderEpoch: 1,
      metadata: 'ab',
      commitTimestamp: 7,
      expireTimestamp: -1,
    });
  });

  it('rejects truncated and corrupt bytes with RecordFormatError, never a crash', () => {
    const key = encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 0 });
    const value = encodeOffsetCommitValue({
      offset: 1,
      leaderEpoch: -1,
      metadata: 'x',
      commitTimestamp: 2,
      expireTimestamp: -1,
    });
    for (let cut = 0; cut < value.length; cut++) {
      assert.throws(() => decodeCoordinatorRecord({ key, value: value.subarray(0, cut) }), RecordFormatError);
    }
    const badCount = encodeGroupMetadataValue({
      protocolType: '',
      generation: 0,
      protocol: null,
      leader: null,
      currentStateTimestamp: -1,
      members: [],
    });
    const corrupt = Buffer.from(badCount);
    corrupt.writeInt32BE(0x7fffffff, corrupt.length - 4);
    assert.throws(
      () => decodeCoordinatorRecord({ key: encodeGroupMetadataKey('g'), value: corrupt }),
      RecordFormatError,
    );
    assert.deepEqual(decodeCoordinatorRecord({ key: Buffer.from([0, 9]), value: null }), {
      type: 'unknown',
      keyVersion: 9,
    });
  });
});
