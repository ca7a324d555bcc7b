import { createRequire } from 'node:module';

type Crc32c = (input: Buffer | string, initialState?: number) => number;

let native: Crc32c | null = null;

/**
 * CRC-32C (Castagnoli) from @node-rs/crc32. Loaded with `require` (importing a CommonJS package
 * from an ES module goes through Node's CJS export lexer: ~15 ms of start-up CPU), and only at the
 * first checksum: a broker computes none before its first produce or fetch, and loading the native
 * addon costs ~17 ms of `dlopen` and ~3.4 MiB of resident memory at start (docs/broker.md).
 */
export function crc32c(input: Buffer | string, initialState?: number): number {
  native ??= (createRequire(import.meta.url)('@node-rs/crc32') as typeof import('@node-rs/crc32')).crc32c;
  return initialState === undefined ? native(input) : native(input, initialState);
}
