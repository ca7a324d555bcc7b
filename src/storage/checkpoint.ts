/**
 * Kafka's checkpoint text files, written atomically (temp file, fsync, rename, fsync the directory):
 *
 *   recovery-point-offset-checkpoint, log-start-offset-checkpoint, cleaner-offset-checkpoint (log dir root):
 *     0\n<count>\n<topic> <partition> <offset>\n…
 *   leader-epoch-checkpoint (partition dir):
 *     0\n<count>\n<epoch> <startOffset>\n…
 *
 * A file that does not parse is reported as an error by the reader (the caller decides: the log
 * manager logs it and falls back to a full recovery scan, which is always safe).
 */
import { KafkaStorageError } from './errors.js';
import { atomicWriteFile, atomicWriteFileSync, readFileIfExists } from './fs-util.js';

export const CHECKPOINT_VERSION = 0;
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
/** The cleaner's first dirty offset per compacted log (where its next pass starts). */
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

function parseLines(text: string, path: string, fields: number): string[][] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const bad = (why: string) => new KafkaStorageError(`malformed checkpoint ${path}: ${why}`);
  if (lines.length < 2) throw bad('missing header');
  if (lines[0]!.trim() !== String(CHECKPOINT_VERSION)) throw bad(`unknown version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0) throw bad(`bad count ${lines[1]}`);
  if (lines.length - 2 !== count) throw bad(`expected ${count} entries, found ${lines.length - 2}`);
  return lines.slice(2).map((l, i) => {
    const parts = l.trim().split(/\s+/);
    if (parts.length !== fields) throw bad(`line ${i + 3}: expected ${fields} fields`);
    return parts;
  });
}

function toInt(s: string, path: string): number {
  if (!/^-?\d+$/.test(s)) throw new KafkaStorageError(`malformed checkpoint ${path}: ${s} is not an integer`);
  return Number(s);
}

/** Key of a partition in the offset checkpoint maps: `<topic>-<partition>`, the dir name. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** Reads an offset checkpoint; an absent file is an empty list. */
export function readOffsetCheckpoint(path: string): TopicPartitionOffset[] {
  const text = readFileIfExists(path);
  if (text === null) return [];
  return parseLines(text, path, 3).map(([topic, p, o]) => ({
    topic: topic!,
    partition: toInt(p!, path),
    offset: toInt(o!, path),
  }));
}

export function formatOffsetCheckpoint(entries: readonly TopicPartitionOffset[]): string {
  let out = `${CHECKPOINT_VERSION}\n${entries.length}\n`;
  for (const e of entries) out += `${e.topic} ${e.partition} ${e.offset}\n`;
  return out;
}

export async function writeOffsetCheckpoint(
  path: string,
  entries: readonly TopicPartitionOffset[],
): Promise<void> {
  await atomicWriteFile(path, formatOffsetCheckpoint(entries));
}

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export function readEpochCheckpoint(path: string): EpochEntry[] {
  const text = readFileIfExists(path);
  if (text === null) return [];
  return parseLines(text, path, 2).map(([e, o]) => ({
    epoch: toInt(e!, path),
    startOffset: toInt(o!, path),
  }));
}

export function writeEpochCheckpointSync(path: string, entries: readonly EpochEntry[]): void {
  let out = `${CHECKPOINT_VERSION}\n${entries.length}\n`;
  for (const e of entries) out += `${e.epoch} ${e.startOffset}\n`;
  atomicWriteFileSync(path, out);
}
