/**
 * Idempotence and transactions on a broker child process over loopback, with a raw pipelined
 * client (so the client's own cost is the same in every mode): 100-record batches of 200-byte
 * values, acks=-1, five requests in flight (the idempotent producer's limit).
 *   - plain producer vs idempotent producer (sequence numbers checked by the broker): records/s
 *     and their ratio in the same run;
 *   - transactional producer at 100 records per transaction (AddPartitionsToTxn, Produce, EndTxn
 *     commit): records/s and transactions/s.
 * Figures only; nothing here fails on a number.
 *
 *   npm run build && node dist/bench/txn.js [batches] [transactions]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiByKey } from '../src/protocol/generated/apis.js';
import { encodeRequestHeader } from '../src/protocol/generated/request-header.js';
import { Reader } from '../src/protocol/reader.js';
import { BatchOffsets, updateCrc } from '../src/protocol/records/batch.js';
import { buildBatchSync } from '../src/protocol/records/builder.js';
import { Writer } from '../src/protocol/writer.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BATCHES = Number(process.argv[2] ?? 14000);
const TRANSACTIONS = Number(process.argv[3] ?? 300);
const RECORDS_PER_BATCH = 100;
const VALUE_BYTES = 200;
const IN_FLIGHT = 5;
const ROUNDS = 7;
const ROUND_BATCHES = Math.max(1, Math.round(BATCHES / ROUNDS));

function startBroker(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'gregor'), 'serve', '--port', '0', '--data-dir', dir],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return new Promise((res, rej) => {
    let buf = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const e = JSON.parse(line) as Record<string, unknown>;
          if (e.msg === 'listening') res({ child, port: e.port as number });
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code) => rej(new Error(`broker exited ${code}`)));
  });
}

/** A pipelined request/response connection with the generated codecs. */
class Conn {
  readonly #socket: Socket;
  #buf = Buffer.alloc(0);
  #next = 1;
  readonly #waiting = new Map<number, { apiKey: number; version: number; resolve: (v: unknown) => void }>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      while (this.#buf.length >= 4 && this.#buf.length >= 4 + this.#buf.readInt32BE(0)) {
        const frame = this.#buf.subarray(4, 4 + this.#buf.readInt32BE(0));
        this.#buf = this.#buf.subarray(4 + frame.length);
        const r = new Reader(frame);
        const id = r.int32();
        const w = this.#waiting.get(id)!;
        this.#waiting.delete(id);
        const api = apiByKey(w.apiKey)!;
        if (api.responseHeaderVersions[w.version] === 1) r.unknownTaggedFields();
        w.resolve(api.decodeResponse(r, w.version));
      }
    });
  }

  static open(port: number): Promise<Conn> {
    return new Promise((res, rej) => {
      const s = connect(port, '127.0.0.1', () => res(new Conn(s)));
      s.once('error', rej);
    });
  }

  call<T>(apiKey: number, version: number, body: unknown): Promise<T> {
    const api = apiByKey(apiKey)!;
    const correlationId = this.#next++;
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(
      w,
      { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'bench' },
      api.requestHeaderVersions[version]!,
    );
    api.encodeRequest(w, body, version);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    return new Promise<T>((resolve) => {
      this.#waiting.set(correlationId, { apiKey, version, resolve: resolve as (v: unknown) => void });
      this.#socket.write(frame);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

interface ProduceResult {
  responses: Array<{ partitionResponses: Array<{ errorCode: number }> }>;
}

const template = (transactional: boolean) =>
  buildBatchSync(
    Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ value: Buffer.alloc(VALUE_BYTES, i & 0xff) })),
    { producerId: 0, producerEpoch: 0, baseSequence: 0, transactional },
  );

/** A copy of `batch` for producer id/epoch/sequence (-1 for a plain producer), CRC updated. */
function stamp(batch: Buffer, producerId: number, epoch: number, sequence: number): Buffer {
  const b = Buffer.from(batch);
  b.writeInt32BE(producerId < 0 ? -1 : 0, BatchOffsets.producerId);
  b.writeInt32BE(producerId, BatchOffsets.producerId + 4);
  b.writeInt16BE(epoch, BatchOffsets.producerEpoch);
  b.writeInt32BE(sequence, BatchOffsets.baseSequence);
  updateCrc(b, 0);
  return b;
}

function produceBody(topic: string, records: Buffer, transactionalId: string | null = null) {
  return {
    transactionalId,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
}

async function produceRun(
  conn: Conn,
  topic: string,
  producerId: number,
  firstSequence: number,
): Promise<number> {
  const base = template(false);
  const start = process.hrtime.bigint();
  let sent = 0;
  let failed = 0;
  const inflight = new Set<Promise<void>>();
  while (sent < ROUND_BATCHES) {
    const seq = (firstSequence + sent * RECORDS_PER_BATCH) % 2147483648;
    const records = stamp(base, producerId, producerId < 0 ? -1 : 0, producerId < 0 ? -1 : seq);
    const p: Promise<void> = conn.call<ProduceResult>(0, 9, produceBody(topic, records)).then((r) => {
      if (r.responses[0]!.partitionResponses[0]!.errorCode !== 0) failed++;
      inflight.delete(p);
    });
    inflight.add(p);
    sent++;
    if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (failed > 0) console.log(`  (${failed} produce errors)`);
  return (ROUND_BATCHES * RECORDS_PER_BATCH) / seconds;
}

async function createTopic(conn: Conn, name: string): Promise<void> {
  await conn.call(19, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-bench-txn-'));
  const broker = await startBroker(dir);
  const conn = await Conn.open(broker.port);
  try {
    // Short alternating rounds, medians per mode: the machine is shared, so both modes see the same noise.
    const rates = { plain: [] as number[], idempotent: [] as number[] };
    const idemInit = await conn.call<{ producerId: number }>(22, 4, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1,
      producerEpoch: -1,
    });
    await createTopic(conn, 'plain');
    await createTopic(conn, 'idem');
    let sequence = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const idemFirst = round % 2 === 1;
      if (idemFirst) {
        rates.idempotent.push(await produceRun(conn, 'idem', idemInit.producerId, sequence));
        sequence += ROUND_BATCHES * RECORDS_PER_BATCH;
      }
      rates.plain.push(await produceRun(conn, 'plain', -1, 0));
      if (!idemFirst) {
        rates.idempotent.push(await produceRun(conn, 'idem', idemInit.producerId, sequence));
        sequence += ROUND_BATCHES * RECORDS_PER_BATCH;
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const plain = median(rates.plain);
    const idempotent = median(rates.idempotent);
    console.log(
      `plain producer        ${Math.round(plain).toLocaleString('en')} records/s (median of ${ROUNDS} rounds of ${ROUND_BATCHES} ${RECORDS_PER_BATCH}-record batches, ${VALUE_BYTES} B values, acks=-1, ${IN_FLIGHT} in flight)`,
    );
    console.log(`idempotent producer   ${Math.round(idempotent).toLocaleString('en')} records/s`);
    console.log(
      `idempotent / plain    ${(idempotent / plain).toFixed(3)} (load average ${loadavg()[0]!.toFixed(1)})`,
    );

    await createTopic(conn, 'txn');
    const txnId = 'bench-tx';
    let init: { errorCode: number; producerId: number; producerEpoch: number };
    do {
      init = await conn.call(22, 4, {
        transactionalId: txnId,
        transactionTimeoutMs: 60000,
        producerId: -1,
        producerEpoch: -1,
      });
      if (init.errorCode !== 0) await new Promise((r) => setTimeout(r, 100));
    } while (init.errorCode !== 0);
    const { producerId, producerEpoch } = init;
    const base = template(true);
    let failed = 0;
    const start = process.hrtime.bigint();
    for (let t = 0; t < TRANSACTIONS; t++) {
      await conn.call(24, 3, {
        v3AndBelowTransactionalId: txnId,
        v3AndBelowProducerId: producerId,
        v3AndBelowProducerEpoch: producerEpoch,
        v3AndBelowTopics: [{ name: 'txn', partitions: [0] }],
      });
      const records = stamp(base, producerId, producerEpoch, (t * RECORDS_PER_BATCH) % 2147483648);
      const r = await conn.call<ProduceResult>(0, 9, produceBody('txn', records, txnId));
      if (r.responses[0]!.partitionResponses[0]!.errorCode !== 0) failed++;
      const end = await conn.call<{ errorCode: number }>(26, 3, {
        transactionalId: txnId,
        producerId,
        producerEpoch,
        committed: true,
      });
      if (end.errorCode !== 0) failed++;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (failed > 0) console.log(`  (${failed} transaction errors)`);
    console.log(
      `transactional         ${Math.round((TRANSACTIONS * RECORDS_PER_BATCH) / seconds).toLocaleString('en')} records/s, ${Math.round(TRANSACTIONS / seconds).toLocaleString('en')} transactions/s (${RECORDS_PER_BATCH} records per transaction, one at a time)`,
    );
  } finally {
    conn.close();
    broker.child.kill('SIGTERM');
    await new Promise((r) => broker.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
