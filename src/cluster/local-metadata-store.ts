import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../core/assert.js';
import type { MetadataState, MetadataStore, TopicMetadata } from './metadata-store.js';
import { uuidToString } from './uuid.js';

/** The file in the data dir that holds the single node's metadata. */
export const METADATA_FILE = 'gregor-metadata.json';
const FORMAT_VERSION = 1;

/** Largest metadata file read at start; a bigger one is corrupt, not metadata. */
export const METADATA_FILE_MAX_BYTES = 64 * 1024 * 1024;

interface FileFormat extends MetadataState {
  readonly version: number;
}

/**
 * The single node's metadata store: all state in memory, every change written to one JSON
 * file atomically (temp file, fsync, rename, fsync of the directory), one write at a time.
 */
export class LocalMetadataStore implements MetadataStore {
  readonly clusterId: string;
  readonly #dir: string;
  readonly #byName = new Map<string, TopicMetadata>();
  readonly #byId = new Map<string, TopicMetadata>();
  #brokerConfigs: Record<string, string>;
  /** Writes are chained so each file reflects a state at least as new as the one before. */
  #writeChain: Promise<void> = Promise.resolve();

  private constructor(dir: string, state: MetadataState) {
    this.#dir = dir;
    this.clusterId = state.clusterId;
    for (const t of state.topics) this.#index(t);
    this.#brokerConfigs = { ...state.brokerConfigs };
  }

  /** Opens the store in `dir`, creating it with a new cluster id when there is none. */
  static async open(dir: string): Promise<LocalMetadataStore> {
    const path = join(dir, METADATA_FILE);
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === null) {
      const store = new LocalMetadataStore(dir, {
        clusterId: uuidToString(randomBytes(16)),
        topics: [],
        brokerConfigs: {},
      });
      await store.#persist();
      return store;
    }
    assert(text.length <= METADATA_FILE_MAX_BYTES, `${path} is larger than ${METADATA_FILE_MAX_BYTES} bytes`);
    const parsed = JSON.parse(text) as FileFormat;
    if (parsed.version !== FORMAT_VERSION)
      throw new Error(`${path}: unknown format version ${parsed.version}`);
    return new LocalMetadataStore(dir, parsed);
  }

  #index(t: TopicMetadata): void {
    this.#byName.set(t.name, t);
    this.#byId.set(t.topicId, t);
  }

  topics(): readonly TopicMetadata[] {
    return [...this.#byName.values()];
  }

  topic(name: string): TopicMetadata | undefined {
    return this.#byName.get(name);
  }

  topicById(topicId: string): TopicMetadata | undefined {
    return this.#byId.get(topicId);
  }

  createTopic(topic: TopicMetadata): Promise<void> {
    assert(!this.#byName.has(topic.name), `topic ${topic.name} exists`);
    this.#index(topic);
    return this.#persist();
  }

  deleteTopic(name: string): Promise<void> {
    const t = this.#byName.get(name);
    if (!t) return Promise.resolve();
    this.#byName.delete(name);
    this.#byId.delete(t.topicId);
    return this.#persist();
  }

  updateTopic(topic: TopicMetadata): Promise<void> {
    const old = this.#byName.get(topic.name);
    assert(old !== undefined && old.topicId === topic.topicId, `topic ${topic.name} is not the one stored`);
    this.#index(topic);
    return this.#persist();
  }

  brokerConfigs(): Readonly<Record<string, string>> {
    return this.#brokerConfigs;
  }

  setBrokerConfigs(configs: Record<string, string>): Promise<void> {
    this.#brokerConfigs = { ...configs };
    return this.#persist();
  }

  close(): Promise<void> {
    return this.#writeChain;
  }

  #persist(): Promise<void> {
    const state: FileFormat = {
      version: FORMAT_VERSION,
      clusterId: this.clusterId,
      topics: this.topics(),
      brokerConfigs: this.#brokerConfigs,
    };
    const text = `${JSON.stringify(state, null, 1)}\n`;
    const next = this.#writeChain.then(() => writeFileAtomic(this.#dir, METADATA_FILE, text));
    // A failed write must not wedge the chain; the caller of that write sees the error.
    this.#writeChain = next.catch(() => {});
    return next;
  }
}

/** Writes `name` in `dir` so a crash leaves either the old or the new file, never a torn one. */
export async function writeFileAtomic(dir: string, name: string, text: string): Promise<void> {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
