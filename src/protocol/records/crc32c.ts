import { createRequire } from 'node:module';

/**
 * CRC-32C (Castagnoli) from @node-rs/crc32, loaded with `require`: importing a CommonJS package
 * from an ES module goes through Node's CJS export lexer, which cost about 15 ms of start-up CPU
 * and some MiB of memory when this was the only CommonJS package the broker imports.
 */
export const crc32c: (input: Buffer | string, initialState?: number) => number = (
  createRequire(import.meta.url)('@node-rs/crc32') as typeof import('@node-rs/crc32')
).crc32c;
