import { type FileHandle, open } from 'node:fs/promises';
import { basename } from 'node:path';
import { ClientError } from '../client/errors.js';
import {
  BatchAttributes,
  BatchOffsets,
  baseSequence,
  computeCrc,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readInt64,
} from '../protocol/records/batch.js';
import { compressionName } from '../protocol/records/compression.js';
import { decodeBatch, parseControlRecordKey } from '../protocol/records/records.js';
import { type CommandSpec, dispatch, helpOption, type Options, runCommand, UsageError } from './args.js';
import { out } from './common.js';

/** Largest batch the dump reads into memory; a larger length field means a corrupt file. */
export const LOG_DUMP_BATCH_MAX_BYTES = 134_217_728;

const spec: CommandSpec = {
  name: 'gregor log dump',
  summary:
    'Prints the record batches of segment files (<baseOffset>.log), and optionally their records, like kafka-dump-log.sh. Also reads offset (.index) and time (.timeindex) index files.',
  positionals: '<file>...',
  details: `This is the one tool that reads files instead of talking to a broker. For each batch it prints
its header: offsets, count, producer id/epoch/sequence, leader epoch, transactional/control flags,
file position, timestamp, size, codec and whether the CRC is valid. With --deep-iteration (or
--print-records) it prints each record's offset, timestamp, key and value sizes and header keys;
with --print-data-log also the key and value. A torn or corrupt batch is reported with its
position and the exit status is 1.`,
  options: [
    { name: 'files', value: 'PATH', repeatable: true, help: 'a file to dump (or give files as arguments)' },
    { name: 'deep-iteration', help: 'print every record, not only batch headers' },
    { name: 'print-records', help: 'same as --deep-iteration' },
    { name: 'print-data-log', help: 'print record keys and values (implies --deep-iteration)' },
    { name: 'max-batches', value: 'N', default: 'all', help: 'stop after N batches per file' },
    helpOption,
  ],
  examples: [
    'gregor log dump /tmp/gregor-logs/orders-0/00000000000000000000.log',
    'gregor log dump --print-data-log /tmp/gregor-logs/orders-0/00000000000000000000.log',
    'gregor log dump /tmp/gregor-logs/orders-0/00000000000000000000.index',
  ],
};

export function log(argv: string[]): Promise<void> {
  return dispatch(
    'log',
    "Reads the broker's on-disk files directly.",
    {
      dump: {
        summary: 'Prints the batches and records of segment and index files.',
        run: (a) => runCommand(spec, a, run),
      },
    },
    argv,
  );
}

async function run(o: Options): Promise<void> {
  const files = [...o.list('files'), ...o.parsed.positionals];
  if (files.length === 0)
    throw new UsageError('give at least one file (e.g. gregor log dump 00000000000000000000.log)');
  const printData = o.flag('print-data-log');
  const deep = printData || o.flag('deep-iteration') || o.flag('print-records');
  const maxBatches = o.int('max-batches', -1, 1);
  let problems = 0;
  for (const file of files) {
    await out(`Dumping ${file}\n`);
    const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new ClientError(`cannot open ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
    try {
      if (file.endsWith('.log')) problems += await dumpSegment(fh, deep, printData, maxBatches);
      else if (file.endsWith('.timeindex')) problems += await dumpIndex(fh, file, 12);
      else if (file.endsWith('.index')) problems += await dumpIndex(fh, file, 8);
      else throw new ClientError(`${file}: not a .log, .index or .timeindex file`);
    } finally {
      await fh.close();
    }
  }
  if (problems > 0) {
    process.stderr.write(`gregor log dump: found ${problems} problem(s), see the output above\n`);
    process.exitCode = 1;
  }
}

function baseOffsetOf(file: string): number {
  const m = /^(\d{20})\./.exec(basename(file));
  return m ? Number(m[1]) : 0;
}

async function dumpIndex(fh: FileHandle, file: string, entrySize: number): Promise<number> {
  const base = baseOffsetOf(file);
  const { size } = await fh.stat();
  const chunk = Buffer.alloc(entrySize * 4096);
  let problems = 0;
  for (let pos = 0; pos + entrySize <= size; ) {
    const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
    if (bytesRead < entrySize) break;
    let text = '';
    let i = 0;
    for (; i + entrySize <= bytesRead; i += entrySize) {
      if (entrySize === 8) {
        const rel = chunk.readInt32BE(i);
        const position = chunk.readInt32BE(i + 4);
        if (rel === 0 && position === 0 && pos + i > 0) break; // preallocated, unused entries
        text += `offset: ${base + rel} position: ${position}\n`;
      } else {
        const ts = readInt64(chunk, i);
        const rel = chunk.readInt32BE(i + 8);
        if (ts === 0 && rel === 0 && pos + i > 0) break;
        text += `timestamp: ${ts} offset: ${base + rel}\n`;
      }
    }
    await out(text);
    if (i < bytesRead - (bytesRead % entrySize)) return problems;
    pos += i;
  }
  if (size % entrySize !== 0) {
    problems++;
    await out(`Found ${size % entrySize} trailing bytes: the file size is not a multiple of ${entrySize}\n`);
  }
  return problems;
}

async function dumpSegment(
  fh: FileHandle,
  deep: boolean,
  printData: boolean,
  maxBatches: number,
): Promise<number> {
  const { size: fileSize } = await fh.stat();
  const header = Buffer.alloc(RECORD_BATCH_OVERHEAD);
  let position = 0;
  let batches = 0;
  let total = 0;
  let first = true;
  while (position < fileSize) {
    if (maxBatches >= 0 && batches >= maxBatches) break;
    const { bytesRead } = await fh.read(header, 0, RECORD_BATCH_OVERHEAD, position);
    if (bytesRead < RECORD_BATCH_OVERHEAD) {
      await out(
        `Found ${fileSize - position} bytes at position ${position} that are not a whole batch header (torn write?)\n`,
      );
      return total + 1;
    }
    const batchLength = header.readInt32BE(BatchOffsets.batchLength);
    const size = LOG_OVERHEAD + batchLength;
    if (size < RECORD_BATCH_OVERHEAD || size > LOG_DUMP_BATCH_MAX_BYTES) {
      await out(
        `Found an invalid batch length ${batchLength} at position ${position}: the rest of the file is not readable\n`,
      );
      return total + 1;
    }
    if (position + size > fileSize) {
      await out(
        `Found a truncated batch at position ${position}: it needs ${size} bytes, ${fileSize - position} remain (torn write?)\n`,
      );
      return total + 1;
    }
    const buf = Buffer.allocUnsafe(size);
    await fh.read(buf, 0, size, position);
    if (first) {
      await out(`Log starting offset: ${readInt64(buf, BatchOffsets.baseOffset)}\n`);
      first = false;
    }
    const magic = buf.readInt8(BatchOffsets.magic);
    const attrs = buf.readInt16BE(BatchOffsets.attributes);
    const codec = attrs & BatchAttributes.compressionMask;
    const base = readInt64(buf, BatchOffsets.baseOffset);
    const lastDelta = buf.readInt32BE(BatchOffsets.lastOffsetDelta);
    const count = buf.readInt32BE(BatchOffsets.recordsCount);
    const seq = baseSequence(buf, 0);
    const crcValid = magic === 2 && buf.readUInt32BE(BatchOffsets.crc) === computeCrc(buf, 0, size);
    const logAppend = (attrs & BatchAttributes.timestampTypeLogAppendTime) !== 0;
    const control = (attrs & BatchAttributes.control) !== 0;
    let line =
      `baseOffset: ${base} lastOffset: ${base + lastDelta} count: ${count} baseSequence: ${seq} ` +
      `lastSequence: ${seq < 0 ? -1 : seq + lastDelta} producerId: ${readInt64(buf, BatchOffsets.producerId)} ` +
      `producerEpoch: ${buf.readInt16BE(BatchOffsets.producerEpoch)} partitionLeaderEpoch: ${buf.readInt32BE(BatchOffsets.partitionLeaderEpoch)} ` +
      `isTransactional: ${(attrs & BatchAttributes.transactional) !== 0} isControl: ${control} position: ${position} ` +
      `${logAppend ? 'LogAppendTime' : 'CreateTime'}: ${readInt64(buf, BatchOffsets.maxTimestamp)} size: ${size} ` +
      `magic: ${magic} compresscodec: ${compressionName(codec)} crcValid: ${crcValid}\n`;
    let problems = crcValid ? 0 : 1;
    if (deep && magic === 2) {
      try {
        const batch = await decodeBatch(buf, 0, { verifyCrc: false });
        for (const r of batch.records) {
          line += `| offset: ${r.offset} ${logAppend ? 'LogAppendTime' : 'CreateTime'}: ${r.timestamp} keySize: ${r.key ? r.key.length : -1} valueSize: ${r.value ? r.value.length : -1} sequence: ${seq < 0 ? -1 : seq + (r.offset - base)} headerKeys: [${r.headers.map((h) => h.key).join(',')}]`;
          if (control) {
            const k = parseControlRecordKey(r.key);
            line += ` controlType: ${k.type === 0 ? 'ABORT' : k.type === 1 ? 'COMMIT' : `type ${k.type}`}`;
          } else if (printData) {
            line += ` key: ${r.key ? r.key.toString('utf8') : 'null'} payload: ${r.value ? r.value.toString('utf8') : 'null'}`;
          }
          line += '\n';
        }
      } catch (err) {
        problems++;
        line += `| cannot read the records: ${err instanceof Error ? err.message : String(err)}\n`;
      }
    }
    await out(line);
    total += problems;
    position += size;
    batches++;
  }
  return total;
}
