/**
 * Keys and values of the compacted `__consumer_offsets` topic, in the layouts of Kafka's
 * OffsetCommitKey/Value and GroupMetadataKey/Value data schemas, so a log written by Gregor reads
 * like one written by Kafka. Every key and value starts with an int16 schema version; the key
 * version says which record it is (0/1 offset commit, 2 group metadata). A null value is a
 * tombstone. Values are written at the newest non-flexible version (3) and read at 0-4.
 */

export interface OffsetCommitKey {
  group: string;
  topic: string;
  partition: number;
}

export interface OffsetCommitValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  expireTimestamp: number;
}

export interface GroupMetadataMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Uint8Array;
  assignment: Uint8Array;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: GroupMetadataMember[];
}

export type CoordinatorRecordKind =
  | { type: 'offset'; key: OffsetCommitKey; value: OffsetCommitValue | null }
  | { type: 'group'; group: string; value: GroupMetadataValue | null }
  | { type: 'unknown'; keyVersion: number };

/** A record as the log stores it: key bytes and value bytes (null = tombstone). */
export interface CoordinatorRecord {
  key: Uint8Array;
  value: Uint8Array | null;
}

export class RecordFormatError extends Error {
  override name = 'RecordFormatError';
}

/** Bound on any array inside a stored value; a corrupt count must not allocate unboundedly. */
const recordArrayCountMax = 1_000_000;

/** Big-endian writer for coordinator records (classic and flexible encodings). */
export class Writer {
  #buf: Buffer;
  #pos = 0;
  constructor(initial = 64) {
    this.#buf = Buffer.alloc(initial);
  }
  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }
  int16(v: number): void {
    this.#ensure(2);
    this.#pos = this.#buf.writeInt16BE(v, this.#pos);
  }
  int32(v: number): void {
    this.#ensure(4);
    this.#pos = this.#buf.writeInt32BE(v, this.#pos);
  }
  int64(v: number): void {
    this.#ensure(8);
    this.#pos = this.#buf.writeBigInt64BE(BigInt(v), this.#pos);
  }
  string(v: string | null): void {
    if (v === null) {
      this.int16(-1);
      return;
    }
    const len = Buffer.byteLength(v);
    this.int16(len);
    this.#ensure(len);
    this.#pos += this.#buf.write(v, this.#pos);
  }
  bytes(v: Uint8Array): void {
    this.int32(v.length);
    this.#ensure(v.length);
    this.#buf.set(v, this.#pos);
    this.#pos += v.length;
  }
  int8(v: number): void {
    this.#ensure(1);
    this.#pos = this.#buf.writeInt8(v, this.#pos);
  }
  uvarint(v: number): void {
    this.#ensure(5);
    let n = v >>> 0;
    while (n >= 0x80) {
      this.#buf[this.#pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.#buf[this.#pos++] = n;
  }
  compactString(v: string | null): void {
    if (v === null) {
      this.uvarint(0);
      return;
    }
    const len = Buffer.byteLength(v);
    this.uvarint(len + 1);
    this.#ensure(len);
    this.#pos += this.#buf.write(v, this.#pos);
  }
  raw(v: Uint8Array): void {
    this.#ensure(v.length);
    this.#buf.set(v, this.#pos);
    this.#pos += v.length;
  }
  done(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }
}

/** Bounds-checked reader for coordinator records. */
export class Reader {
  readonly #buf: Buffer;
  #pos = 0;
  constructor(bytes: Uint8Array) {
    this.#buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  #need(n: number): void {
    if (n < 0 || this.#pos + n > this.#buf.length) throw new RecordFormatError('truncated record');
  }
  int16(): number {
    this.#need(2);
    const v = this.#buf.readInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }
  int32(): number {
    this.#need(4);
    const v = this.#buf.readInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  int64(): number {
    this.#need(8);
    const v = this.#buf.readBigInt64BE(this.#pos);
    this.#pos += 8;
    return Number(v);
  }
  int8(): number {
    this.#need(1);
    const v = this.#buf.readInt8(this.#pos);
    this.#pos += 1;
    return v;
  }
  raw(len: number): Uint8Array {
    return this.#raw(len);
  }
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      this.#need(1);
      const b = this.#buf[this.#pos++] as number;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
    }
    throw new RecordFormatError('varint too long');
  }
  #text(len: number): string {
    this.#need(len);
    const s = this.#buf.toString('utf8', this.#pos, this.#pos + len);
    this.#pos += len;
    return s;
  }
  #raw(len: number): Uint8Array {
    this.#need(len);
    const b = new Uint8Array(this.#buf.subarray(this.#pos, this.#pos + len));
    this.#pos += len;
    return b;
  }
  nullableString(flexible: boolean): string | null {
    const len = flexible ? this.uvarint() - 1 : this.int16();
    if (len < 0) return null;
    return this.#text(len);
  }
  string(flexible: boolean): string {
    const s = this.nullableString(flexible);
    if (s === null) throw new RecordFormatError('null where a string is required');
    return s;
  }
  bytes(flexible: boolean): Uint8Array {
    const len = flexible ? this.uvarint() - 1 : this.int32();
    if (len < 0) throw new RecordFormatError('null bytes');
    return this.#raw(len);
  }
  arrayCount(flexible: boolean): number {
    const n = flexible ? this.uvarint() - 1 : this.int32();
    if (n < 0 || n > recordArrayCountMax) throw new RecordFormatError(`bad array count ${n}`);
    return n;
  }
  skipTaggedFields(): void {
    const n = this.uvarint();
    if (n > recordArrayCountMax) throw new RecordFormatError('too many tagged fields');
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.#raw(this.uvarint());
    }
  }
}

export function encodeOffsetCommitKey(key: OffsetCommitKey): Uint8Array {
  const w = new Writer();
  w.int16(1);
  w.string(key.group);
  w.string(key.topic);
  w.int32(key.partition);
  return w.done();
}

export function encodeOffsetCommitValue(v: OffsetCommitValue): Uint8Array {
  const w = new Writer();
  if (v.expireTimestamp >= 0) {
    // Only version 1 carries an explicit expiry (OffsetCommit v1-v4 retention_time_ms).
    w.int16(1);
    w.int64(v.offset);
    w.string(v.metadata);
    w.int64(v.commitTimestamp);
    w.int64(v.expireTimestamp);
    return w.done();
  }
  w.int16(3);
  w.int64(v.offset);
  w.int32(v.leaderEpoch);
  w.string(v.metadata);
  w.int64(v.commitTimestamp);
  return w.done();
}

export function encodeGroupMetadataKey(group: string): Uint8Array {
  const w = new Writer();
  w.int16(2);
  w.string(group);
  return w.done();
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Uint8Array {
  const w = new Writer(256);
  w.int16(3);
  w.string(v.protocolType);
  w.int32(v.generation);
  w.string(v.protocol);
  w.string(v.leader);
  w.int64(v.currentStateTimestamp);
  w.int32(v.members.length);
  for (const m of v.members) {
    w.string(m.memberId);
    w.string(m.groupInstanceId);
    w.string(m.clientId);
    w.string(m.clientHost);
    w.int32(m.rebalanceTimeout);
    w.int32(m.sessionTimeout);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
  return w.done();
}

function decodeOffsetCommitValue(bytes: Uint8Array): OffsetCommitValue {
  const r = new Reader(bytes);
  const version = r.int16();
  if (version < 0 || version > 4) throw new RecordFormatError(`OffsetCommitValue version ${version}`);
  const flexible = version >= 4;
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string(flexible);
  const commitTimestamp = r.int64();
  const expireTimestamp = version === 1 ? r.int64() : -1;
  if (flexible) r.skipTaggedFields();
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

function decodeGroupMetadataValue(bytes: Uint8Array): GroupMetadataValue {
  const r = new Reader(bytes);
  const version = r.int16();
  if (version < 0 || version > 4) throw new RecordFormatError(`GroupMetadataValue version ${version}`);
  const flexible = version >= 4;
  const protocolType = r.string(flexible);
  const generation = r.int32();
  const protocol = r.nullableString(flexible);
  const leader = r.nullableString(flexible);
  const currentStateTimestamp = version >= 2 ? r.int64() : -1;
  const count = r.arrayCount(flexible);
  const members: GroupMetadataMember[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = r.string(flexible);
    const groupInstanceId = version >= 3 ? r.nullableString(flexible) : null;
    const clientId = r.string(flexible);
    const clientHost = r.string(flexible);
    const rebalanceTimeout = version >= 1 ? r.int32() : -1;
    const sessionTimeout = r.int32();
    const subscription = r.bytes(flexible);
    const assignment = r.bytes(flexible);
    if (flexible) r.skipTaggedFields();
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeout,
      sessionTimeout,
      subscription,
      assignment,
    });
  }
  if (flexible) r.skipTaggedFields();
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}

/** Throws RecordFormatError on bytes that are not a coordinator record. */
export function decodeCoordinatorRecord(record: CoordinatorRecord): CoordinatorRecordKind {
  const r = new Reader(record.key);
  const keyVersion = r.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const key = { group: r.string(false), topic: r.string(false), partition: r.int32() };
    return {
      type: 'offset',
      key,
      value: record.value === null ? null : decodeOffsetCommitValue(record.value),
    };
  }
  if (keyVersion === 2) {
    const group = r.string(false);
    return {
      type: 'group',
      group,
      value: record.value === null ? null : decodeGroupMetadataValue(record.value),
    };
  }
  return { type: 'unknown', keyVersion };
}
