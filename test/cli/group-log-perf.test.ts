import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BrokerProcess } from '../helpers/broker.js';
import { GREGOR_BIN, gregor, lines } from '../helpers/cli.js';

/** A long-running `gregor consume` child whose stdout is collected. */
function background(args: string[]): {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [GREGOR_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    text += c;
  });
  child.stderr!.resume();
  const exit = new Promise<number | null>((res) => child.once('close', (code) => res(code)));
  return { child, out: () => text, exit };
}

/** Polls `cond` until it holds; fails after `limitMs` (a state that never comes, not a timing check). */
async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  limitMs = 60_000,
): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

describe('gregor group / log dump / perf against a real broker', () => {
  let broker: BrokerProcess;
  let b: string[];
  let dir: string;

  before(async () => {
    broker = await BrokerProcess.start();
    b = ['--bootstrap-server', broker.bootstrap];
    dir = mkdtempSync(join(tmpdir(), 'gregor-cli-'));
  });
  after(async () => {
    await broker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists and describes a group with lag per partition, resets its offsets, deletes it', async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'orders', '--partitions', '2']);
    await gregor(['produce', ...b, '-t', 'orders', '-p', '0'], 'a\nb\nc\n');
    await gregor(['produce', ...b, '-t', 'orders', '-p', '1'], 'd\ne\n');
    let r = await gregor(['consume', ...b, '-t', 'orders', '-G', 'billing', '--from-beginning', '-e']);
    assert.equal(r.code, 0, r.stderr);
    await gregor(['produce', ...b, '-t', 'orders', '-p', '1'], 'f\ng\n');

    r = await gregor(['group', 'list', ...b]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lines(r.stdout).includes('billing'), r.stdout);
    r = await gregor(['group', 'list', ...b, '--state']);
    assert.match(r.stdout, /^GROUP\s+STATE\n(.*\n)*billing\s+Empty\n/);

    r = await gregor(['group', 'describe', ...b, '--group', 'billing']);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.equal(out[0], "Consumer group 'billing' has no active members.");
    assert.match(
      out[2]!,
      /^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID$/,
    );
    assert.deepEqual(out[3]!.split(/\s+/), ['billing', 'orders', '0', '3', '3', '0', '-', '-', '-']);
    assert.deepEqual(out[4]!.split(/\s+/), ['billing', 'orders', '1', '2', '4', '2', '-', '-', '-']);

    // Dry run by default: the plan is printed, nothing changes.
    r = await gregor(['group', 'reset-offsets', ...b, '-g', 'billing', '-t', 'orders', '--to-earliest']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /billing\s+orders\s+0\s+0\n/);
    assert.match(r.stdout, /Dry run/);
    r = await gregor(['group', 'describe', ...b, '-g', 'billing']);
    assert.match(r.stdout, /billing\s+orders\s+0\s+3\s+3\s+0/);

    r = await gregor([
      'group',
      'reset-offsets',
      ...b,
      '-g',
      'billing',
      '-t',
      'orders:1',
      '--shift-by',
      '-1',
      '--execute',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      lines(r.stdout).map((l) => l.split(/\s+/)),
      [
        ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
        ['billing', 'orders', '1', '1'],
      ],
    );
    r = await gregor(['consume', ...b, '-t', 'orders', '-G', 'billing', '-e']);
    assert.deepEqual(lines(r.stdout), ['e', 'f', 'g']);

    r = await gregor([
      'group',
      'reset-offsets',
      ...b,
      '-g',
      'billing',
      '--all-topics',
      '--to-offset',
      '1',
      '--execute',
    ]);
    assert.equal(r.code, 0, r.stderr);
    r = await gregor(['consume', ...b, '-t', 'orders', '-G', 'billing', '-e']);
    assert.deepEqual(lines(r.stdout).sort(), ['b', 'c', 'e', 'f', 'g']);

    r = await gregor(['group', 'reset-offsets', ...b, '-g', 'billing', '-t', 'orders']);
    assert.equal(r.code, 2, 'no reset spec is a usage error');
    assert.match(r.stderr, /exactly one of --to-earliest/);

    r = await gregor(['group', 'delete', ...b, '-g', 'billing']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Deleted consumer group 'billing'.\n");
    r = await gregor(['group', 'describe', ...b, '-g', 'billing']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /does not exist/);
    r = await gregor(['group', 'delete', ...b, '-g', 'billing']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /GROUP_ID_NOT_FOUND/);
  });

  it('two group members split the partitions, rebalance, commit on SIGTERM and leave', async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'shared', '--partitions', '2']);
    await gregor(['produce', ...b, '-t', 'shared', '-p', '0'], 'a0\na1\n');
    await gregor(['produce', ...b, '-t', 'shared', '-p', '1'], 'b0\nb1\n');
    const first = background([
      'consume',
      ...b,
      '-t',
      'shared',
      '-G',
      'pair',
      '--from-beginning',
      '-f',
      '%p %s\\n',
    ]);
    let second: ReturnType<typeof background> | null = null;
    try {
      await waitFor('the first member to read all four records', () => lines(first.out()).length === 4);
      second = background(['consume', ...b, '-t', 'shared', '-G', 'pair', '-f', '%p %s\\n']);
      await waitFor('a stable group of two members with one partition each', async () => {
        const r = await gregor(['group', 'describe', ...b, '-g', 'pair', '--members']);
        return /Stable/.test(r.stdout) && (r.stdout.match(/\s1\s+shared\(\d\)\n/g) ?? []).length === 2;
      });
      await gregor(['produce', ...b, '-t', 'shared', '-p', '0'], 'c0\n');
      await gregor(['produce', ...b, '-t', 'shared', '-p', '1'], 'c1\n');
      const s = second;
      await waitFor(
        'both new records',
        () => (first.out() + s.out()).includes('0 c0') && (first.out() + s.out()).includes('1 c1'),
      );
      const one = lines(first.out()).slice(4);
      const two = lines(s.out());
      assert.equal(one.length, 1, `each member gets one new record: ${one} / ${two}`);
      assert.equal(two.length, 1, `each member gets one new record: ${one} / ${two}`);
      assert.notEqual(one[0]!.split(' ')[0], two[0]!.split(' ')[0], 'from different partitions');
    } finally {
      first.child.kill('SIGTERM');
      second?.child.kill('SIGTERM');
    }
    assert.equal(await first.exit, 0);
    assert.equal(await second!.exit, 0);
    const r = await gregor(['group', 'describe', ...b, '-g', 'pair']);
    assert.match(r.stdout, /has no active members/);
    assert.match(r.stdout, /pair\s+shared\s+0\s+3\s+3\s+0/);
    assert.match(r.stdout, /pair\s+shared\s+1\s+3\s+3\s+0/);
  });

  it('dumps a segment file: batch headers, records, data; reports corruption and torn writes', async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'dump', '--partitions', '1']);
    // gregor produce is idempotent by default: the batch carries a producer id and sequences.
    await gregor(['produce', ...b, '-t', 'dump', '-K', ':', '-H', 'h=1'], 'k1:hello\nk2:world\n');
    await gregor(['produce', ...b, '-t', 'dump', '-z', 'gzip'], 'zipped\n');
    const segment = join(broker.dataDir, 'dump-0', '00000000000000000000.log');
    let r = await gregor(['log', 'dump', segment]);
    assert.equal(r.code, 0, r.stderr);
    const l = lines(r.stdout);
    assert.equal(l[0], `Dumping ${segment}`);
    assert.equal(l[1], 'Log starting offset: 0');
    assert.match(
      l[2]!,
      /^baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 0 lastSequence: 1 producerId: \d+ producerEpoch: 0 partitionLeaderEpoch: \d+ isTransactional: false isControl: false position: 0 CreateTime: \d+ size: \d+ magic: 2 compresscodec: none crcValid: true$/,
    );
    assert.match(l[3]!, /^baseOffset: 2 lastOffset: 2 count: 1 .* compresscodec: gzip crcValid: true$/);
    assert.equal(l.length, 4);

    r = await gregor(['log', 'dump', '--print-data-log', segment]);
    assert.match(
      r.stdout,
      /\| offset: 0 CreateTime: \d+ keySize: 2 valueSize: 5 sequence: 0 headerKeys: \[h\] key: k1 payload: hello\n/,
    );
    assert.match(
      r.stdout,
      /\| offset: 2 CreateTime: \d+ keySize: -1 valueSize: 6 sequence: 0 headerKeys: \[\] key: null payload: zipped\n/,
    );
    r = await gregor(['log', 'dump', '--deep-iteration', segment]);
    assert.match(r.stdout, /\| offset: 1 .*headerKeys: \[h\]\n/);
    assert.doesNotMatch(r.stdout, /payload/);

    // A flipped byte inside the first batch's records: crcValid false, exit 1, the next batch still read.
    const bad = join(dir, '00000000000000000000.log');
    copyFileSync(segment, bad);
    const bytes = readFileSync(bad);
    bytes[70] = bytes[70]! ^ 0xff;
    writeFileSync(bad, bytes);
    r = await gregor(['log', 'dump', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /position: 0 .* crcValid: false\n/);
    assert.match(r.stdout, /baseOffset: 2 .* crcValid: true\n/);
    assert.match(r.stderr, /found 1 problem/);

    // A torn last batch.
    copyFileSync(segment, bad);
    truncateSync(bad, bytes.length - 5);
    r = await gregor(['log', 'dump', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Found a truncated batch at position \d+: it needs \d+ bytes, \d+ remain/);

    r = await gregor(['log', 'dump', join(dir, 'missing.log')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot open .*missing\.log: no such file/);
    r = await gregor(['log', 'dump']);
    assert.equal(r.code, 2);
  });

  it('perf produce prints progress and a final line with percentiles; perf consume reads them back', async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'bench', '--partitions', '2']);
    let r = await gregor([
      'perf',
      'produce',
      ...b,
      '--topic',
      'bench',
      '--num-records',
      '3000',
      '--record-size',
      '200',
      '--acks',
      '1',
      '--reporting-interval',
      '50',
      '--throughput',
      '20000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const l = lines(r.stdout);
    const final = l[l.length - 1]!;
    assert.match(
      final,
      /^3000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/,
    );
    for (const p of l.slice(0, -1))
      assert.match(
        p,
        /^\d+ records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency\.$/,
      );

    r = await gregor(['perf', 'consume', ...b, '--topic', 'bench', '--messages', '3000']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      lines(r.stdout).pop()!,
      /^3000 records consumed, [\d.]+ records\/sec, [\d.]+ MB\/sec \(0\.57 MB in [\d.]+ s\)$/,
    );

    r = await gregor([
      'perf',
      'consume',
      ...b,
      '--topic',
      'bench',
      '--messages',
      '5000',
      '--timeout',
      '1000',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no record arrived for 1000 ms after 3000 records/);

    // A broker error fails every batch: exit 1 with the broker's reason, no hang.
    await gregor(['topic', 'create', ...b, '--topic', 'tiny', '--config', 'max.message.bytes=1000']);
    r = await gregor([
      'perf',
      'produce',
      ...b,
      '--topic',
      'tiny',
      '--num-records',
      '100',
      '--record-size',
      '5000',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /100 of 100 records failed: produce to tiny-\d+: MESSAGE_TOO_LARGE/);
  });
});
