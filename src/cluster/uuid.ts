import { randomBytes } from 'node:crypto';

/** Kafka's Uuid string form: URL-safe base64 of the 16 bytes, without padding. */
export function uuidToString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function uuidFromString(s: string): Buffer {
  return Buffer.from(s, 'base64url');
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * A random Uuid as Kafka makes them (Uuid.randomUuid): never the zero or the
 * metadata-topic id, and never starting with '-' in string form so CLI tools can take it.
 */
export function randomUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const s = uuidToString(b);
    if (s !== ZERO_UUID && s !== 'AAAAAAAAAAAAAAAAAAAAAQ' && !s.startsWith('-')) return s;
  }
}
