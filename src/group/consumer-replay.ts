import { ConsumerGroup, ConsumerGroupMember } from './consumer-group.js';
import {
  type CurrentAssignmentValue,
  decodeConsumerRecord,
  type MemberMetadataValue,
  type SubscribedTopicMetadata,
} from './consumer-records.js';
import type { Partitions } from './assignors.js';
import { type CoordinatorRecord, Reader } from './records.js';

interface GroupImage {
  epoch: number | null;
  targetEpoch: number;
  subscribedTopics: SubscribedTopicMetadata[];
  members: Map<string, MemberMetadataValue>;
  targets: Map<string, Partitions>;
  current: Map<string, CurrentAssignmentValue>;
}

/**
 * Collects the consumer protocol's records of one `__consumer_offsets` partition in log order
 * (the last record per key wins, a null value deletes) and rebuilds the groups from them.
 */
export class ConsumerGroupReplay {
  readonly #images = new Map<string, GroupImage>();

  #image(groupId: string): GroupImage {
    let image = this.#images.get(groupId);
    if (image === undefined) {
      image = {
        epoch: null,
        targetEpoch: 0,
        subscribedTopics: [],
        members: new Map(),
        targets: new Map(),
        current: new Map(),
      };
      this.#images.set(groupId, image);
    }
    return image;
  }

  /** Applies one record whose key version is not a classic one; throws RecordFormatError on bad bytes. */
  apply(keyVersion: number, record: CoordinatorRecord): void {
    if (keyVersion < 3 || keyVersion > 8) return;
    const keyReader = new Reader(record.key);
    keyReader.int16();
    const r = decodeConsumerRecord(keyVersion, keyReader, record.value);
    const image = this.#image(r.groupId);
    switch (r.type) {
      case 'epoch':
        image.epoch = r.epoch;
        if (r.epoch === null) this.#images.delete(r.groupId);
        break;
      case 'partitionMetadata':
        image.subscribedTopics = r.topics ?? [];
        break;
      case 'targetEpoch':
        image.targetEpoch = r.epoch ?? 0;
        break;
      case 'member':
        if (r.value === null) image.members.delete(r.memberId);
        else image.members.set(r.memberId, r.value);
        break;
      case 'target':
        if (r.value === null) image.targets.delete(r.memberId);
        else image.targets.set(r.memberId, r.value);
        break;
      case 'current':
        if (r.value === null) image.current.delete(r.memberId);
        else image.current.set(r.memberId, r.value);
        break;
    }
  }

  groups(now: number): ConsumerGroup[] {
    const out: ConsumerGroup[] = [];
    for (const [groupId, image] of this.#images) {
      if (image.epoch === null) continue;
      const group = new ConsumerGroup(groupId, now);
      group.groupEpoch = image.epoch;
      group.assignmentEpoch = image.targetEpoch;
      // What the target was computed for: an unchanged subscription after a restart is no new epoch.
      group.setSubscribedTopics(image.subscribedTopics);
      for (const [memberId, m] of image.members) {
        const member = new ConsumerGroupMember({ memberId, ...m });
        const current = image.current.get(memberId);
        if (current !== undefined) {
          member.memberEpoch = current.memberEpoch;
          member.previousMemberEpoch = current.previousMemberEpoch;
          member.state = current.state;
          member.assigned = current.assigned;
          member.pendingRevocation = current.pendingRevocation;
        }
        group.members.set(memberId, member);
        group.target.set(memberId, image.targets.get(memberId) ?? new Map());
      }
      out.push(group);
    }
    return out;
  }
}
