/**
 * Reads the topic list out of a "consumer" protocol subscription (ConsumerProtocolSubscription,
 * versions 0-3: int16 version, then an array of topic names first in every version). The
 * coordinator needs only the topics, to answer OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC.
 * Returns null on bytes that do not parse, as Kafka treats an unreadable subscription.
 */
const subscriptionTopicsMax = 100_000;

export function subscribedTopics(metadata: Uint8Array): string[] | null {
  const buf = Buffer.from(metadata.buffer, metadata.byteOffset, metadata.byteLength);
  if (buf.length < 6) return null;
  const version = buf.readInt16BE(0);
  if (version < 0) return null;
  const count = buf.readInt32BE(2);
  if (count < 0 || count > subscriptionTopicsMax) return null;
  let pos = 6;
  const topics: string[] = [];
  for (let i = 0; i < count; i++) {
    if (pos + 2 > buf.length) return null;
    const len = buf.readInt16BE(pos);
    pos += 2;
    if (len < 0 || pos + len > buf.length) return null;
    topics.push(buf.toString('utf8', pos, pos + len));
    pos += len;
  }
  return topics;
}
