export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  expireTimestamp: number;
}

/** The committed offsets of one group, whatever protocol it uses: topic → partition → offset. */
export class GroupOffsets {
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  numOffsets = 0;

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  putOffset(topic: string, partition: number, value: CommittedOffset): void {
    let byPartition = this.offsets.get(topic);
    if (byPartition === undefined) {
      byPartition = new Map();
      this.offsets.set(topic, byPartition);
    }
    if (!byPartition.has(partition)) this.numOffsets++;
    byPartition.set(partition, value);
  }

  deleteOffset(topic: string, partition: number): boolean {
    const byPartition = this.offsets.get(topic);
    if (byPartition === undefined || !byPartition.delete(partition)) return false;
    this.numOffsets--;
    if (byPartition.size === 0) this.offsets.delete(topic);
    return true;
  }

  /** Moves every offset into `other` (a group changing protocol keeps its offsets). */
  moveOffsetsTo(other: GroupOffsets): void {
    for (const [topic, byPartition] of this.offsets)
      for (const [p, o] of byPartition) other.putOffset(topic, p, o);
    this.offsets.clear();
    this.numOffsets = 0;
  }
}
