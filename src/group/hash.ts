/**
 * Java's String.hashCode over UTF-16 code units, with 32-bit overflow. Kafka places a group on
 * `__consumer_offsets` partition abs(hashCode(groupId)) % partitions, and clients (and operators
 * reading the topic) expect Gregor to agree.
 */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Integer.MIN_VALUE maps to 0 rather than staying negative. */
function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function partitionForGroup(groupId: string, offsetsTopicPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % offsetsTopicPartitions;
}
