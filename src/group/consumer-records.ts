import { uuidFromString, uuidToString } from '../cluster/uuid.js';
import { assert } from '../core/assert.js';
import type { Partitions } from './assignors.js';
import { type ConsumerGroupMember, MemberState } from './consumer-group.js';
import { type CoordinatorRecord, Reader, RecordFormatError, Writer } from './records.js';

/**
 * The consumer protocol's (KIP-848) records in `__consumer_offsets`, in Kafka's layouts: keys are
 * non-flexible (int16 key version 3 to 8 + strings), values are flexible version 0
 * (compact strings and arrays, uuids, tagged fields). A null value is a tombstone.
 */
export const ConsumerRecordKey = {
  groupMetadata: 3,
  /** ConsumerGroupPartitionMetadata: the subscribed topics the target assignment was computed for. */
  partitionMetadata: 4,
  memberMetadata: 5,
  targetAssignmentMetadata: 6,
  targetAssignmentMember: 7,
  currentMemberAssignment: 8,
} as const;

const memberStateCodes: Record<string, number> = {
  [MemberState.stable]: 0,
  [MemberState.unrevokedPartitions]: 1,
  [MemberState.unreleasedPartitions]: 2,
};

function key(version: number, groupId: string, memberId?: string): Uint8Array {
  const w = new Writer();
  w.int16(version);
  w.string(groupId);
  if (memberId !== undefined) w.string(memberId);
  return w.done();
}

function value(write: (w: Writer) => void): Uint8Array {
  const w = new Writer(128);
  w.int16(0);
  write(w);
  w.uvarint(0); // no tagged fields
  return w.done();
}

function writePartitions(w: Writer, p: Partitions): void {
  const entries = [...p].filter(([, ps]) => ps.size > 0);
  w.uvarint(entries.length + 1);
  for (const [topicId, ps] of entries) {
    const id = uuidFromString(topicId);
    assert(id.length === 16, `topic id ${topicId} is not a Kafka Uuid`);
    w.raw(id);
    w.uvarint(ps.size + 1);
    for (const n of [...ps].sort((a, b) => a - b)) w.int32(n);
    w.uvarint(0);
  }
}

function readPartitions(r: Reader): Partitions {
  const out: Partitions = new Map();
  const n = r.arrayCount(true);
  for (let i = 0; i < n; i++) {
    const topicId = uuidToString(r.raw(16));
    const count = r.arrayCount(true);
    const set = new Set<number>();
    for (let k = 0; k < count; k++) set.add(r.int32());
    r.skipTaggedFields();
    out.set(topicId, set);
  }
  return out;
}

export function groupEpochRecord(groupId: string, epoch: number | null): CoordinatorRecord {
  return {
    key: key(ConsumerRecordKey.groupMetadata, groupId),
    value: epoch === null ? null : value((w) => w.int32(epoch)),
  };
}

/** One subscribed topic as the group last saw it (ConsumerGroupPartitionMetadataValue.TopicMetadata). */
export interface SubscribedTopicMetadata {
  topicId: string;
  topicName: string;
  numPartitions: number;
}

/** Kafka 4.0 writes the deprecated per-partition racks as an empty list; so do we. */
export function partitionMetadataRecord(
  groupId: string,
  topics: readonly SubscribedTopicMetadata[] | null,
): CoordinatorRecord {
  return {
    key: key(ConsumerRecordKey.partitionMetadata, groupId),
    value:
      topics === null
        ? null
        : value((w) => {
            w.uvarint(topics.length + 1);
            for (const t of topics) {
              const id = uuidFromString(t.topicId);
              assert(id.length === 16, `topic id ${t.topicId} is not a Kafka Uuid`);
              w.raw(id);
              w.compactString(t.topicName);
              w.int32(t.numPartitions);
              w.uvarint(1); // PartitionMetadata: none
              w.uvarint(0);
            }
          }),
  };
}

function readTopicMetadata(r: Reader): SubscribedTopicMetadata[] {
  const out: SubscribedTopicMetadata[] = [];
  const n = r.arrayCount(true);
  for (let i = 0; i < n; i++) {
    const topicId = uuidToString(r.raw(16));
    const topicName = r.string(true);
    const numPartitions = r.int32();
    const partitions = r.arrayCount(true);
    for (let k = 0; k < partitions; k++) {
      r.int32();
      const racks = r.arrayCount(true);
      for (let j = 0; j < racks; j++) r.string(true);
      r.skipTaggedFields();
    }
    r.skipTaggedFields();
    out.push({ topicId, topicName, numPartitions });
  }
  return out;
}

export function memberMetadataRecord(
  groupId: string,
  memberId: string,
  m: ConsumerGroupMember | null,
): CoordinatorRecord {
  return {
    key: key(ConsumerRecordKey.memberMetadata, groupId, memberId),
    value:
      m === null
        ? null
        : value((w) => {
            w.compactString(m.instanceId);
            w.compactString(m.rackId);
            w.compactString(m.clientId);
            w.compactString(m.clientHost);
            w.uvarint(m.subscribedTopicNames.length + 1);
            for (const t of m.subscribedTopicNames) w.compactString(t);
            w.compactString(m.subscribedTopicRegex);
            w.int32(m.rebalanceTimeoutMs);
            w.compactString(m.serverAssignor);
          }),
  };
}

export function targetEpochRecord(groupId: string, epoch: number | null): CoordinatorRecord {
  return {
    key: key(ConsumerRecordKey.targetAssignmentMetadata, groupId),
    value: epoch === null ? null : value((w) => w.int32(epoch)),
  };
}

export function targetMemberRecord(
  groupId: string,
  memberId: string,
  target: Partitions | null,
): CoordinatorRecord {
  return {
    key: key(ConsumerRecordKey.targetAssignmentMember, groupId, memberId),
    value: target === null ? null : value((w) => writePartitions(w, target)),
  };
}

export function currentAssignmentRecord(
  groupId: string,
  memberId: string,
  m: ConsumerGroupMember | null,
): CoordinatorRecord {
  return {
    key: key(ConsumerRecordKey.currentMemberAssignment, groupId, memberId),
    value:
      m === null
        ? null
        : value((w) => {
            w.int32(m.memberEpoch);
            w.int32(m.previousMemberEpoch);
            w.int8(memberStateCodes[m.state] ?? 0);
            writePartitions(w, m.assigned);
            writePartitions(w, m.pendingRevocation);
          }),
  };
}

export interface MemberMetadataValue {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
}

export interface CurrentAssignmentValue {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  assigned: Partitions;
  pendingRevocation: Partitions;
}

export type ConsumerRecord =
  | { type: 'epoch'; groupId: string; epoch: number | null }
  | { type: 'partitionMetadata'; groupId: string; topics: SubscribedTopicMetadata[] | null }
  | { type: 'member'; groupId: string; memberId: string; value: MemberMetadataValue | null }
  | { type: 'targetEpoch'; groupId: string; epoch: number | null }
  | { type: 'target'; groupId: string; memberId: string; value: Partitions | null }
  | { type: 'current'; groupId: string; memberId: string; value: CurrentAssignmentValue | null };

function valueReader(bytes: Uint8Array): Reader {
  const r = new Reader(bytes);
  if (r.int16() !== 0) throw new RecordFormatError('unknown consumer group record value version');
  return r;
}

/** Decodes a record whose key version is 3 to 8; throws RecordFormatError on bad bytes. */
export function decodeConsumerRecord(
  keyVersion: number,
  keyReader: Reader,
  bytes: Uint8Array | null,
): ConsumerRecord {
  const groupId = keyReader.string(false);
  switch (keyVersion) {
    case ConsumerRecordKey.groupMetadata:
      return { type: 'epoch', groupId, epoch: bytes === null ? null : valueReader(bytes).int32() };
    case ConsumerRecordKey.partitionMetadata:
      return {
        type: 'partitionMetadata',
        groupId,
        topics: bytes === null ? null : readTopicMetadata(valueReader(bytes)),
      };
    case ConsumerRecordKey.targetAssignmentMetadata:
      return { type: 'targetEpoch', groupId, epoch: bytes === null ? null : valueReader(bytes).int32() };
    case ConsumerRecordKey.memberMetadata: {
      const memberId = keyReader.string(false);
      if (bytes === null) return { type: 'member', groupId, memberId, value: null };
      const r = valueReader(bytes);
      const instanceId = r.nullableString(true);
      const rackId = r.nullableString(true);
      const clientId = r.string(true);
      const clientHost = r.string(true);
      const n = r.arrayCount(true);
      const subscribedTopicNames: string[] = [];
      for (let i = 0; i < n; i++) subscribedTopicNames.push(r.string(true));
      const subscribedTopicRegex = r.nullableString(true);
      const rebalanceTimeoutMs = r.int32();
      const serverAssignor = r.nullableString(true);
      return {
        type: 'member',
        groupId,
        memberId,
        value: {
          instanceId,
          rackId,
          clientId,
          clientHost,
          subscribedTopicNames,
          subscribedTopicRegex,
          rebalanceTimeoutMs,
          serverAssignor,
        },
      };
    }
    case ConsumerRecordKey.targetAssignmentMember: {
      const memberId = keyReader.string(false);
      return {
        type: 'target',
        groupId,
        memberId,
        value: bytes === null ? null : readPartitions(valueReader(bytes)),
      };
    }
    case ConsumerRecordKey.currentMemberAssignment: {
      const memberId = keyReader.string(false);
      if (bytes === null) return { type: 'current', groupId, memberId, value: null };
      const r = valueReader(bytes);
      const memberEpoch = r.int32();
      const previousMemberEpoch = r.int32();
      const code = r.int8();
      const state =
        code === 1
          ? MemberState.unrevokedPartitions
          : code === 2
            ? MemberState.unreleasedPartitions
            : MemberState.stable;
      const assigned = readPartitions(r);
      const pendingRevocation = readPartitions(r);
      return {
        type: 'current',
        groupId,
        memberId,
        value: { memberEpoch, previousMemberEpoch, state, assigned, pendingRevocation },
      };
    }
    default:
      throw new RecordFormatError(`not a consumer group record key version ${keyVersion}`);
  }
}
