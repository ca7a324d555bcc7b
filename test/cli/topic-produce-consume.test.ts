import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BrokerProcess } from '../helpers/broker.js';
import { GREGOR_BIN, gregor, lines } from '../helpers/cli.js';
import { kcat } from '../helpers/kcat.js';

describe('gregor topic / produce / consume against a real broker', () => {
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

  it('creates, lists, describes, alters and deletes a topic', async () => {
    let r = await gregor([
      'topic',
      'create',
      ...b,
      '--topic',
      'tp',
      '--partitions',
      '2',
      '--config',
      'retention.ms=123456',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Created topic tp.\n');

    r = await gregor(['topic', 'create', ...b, '--topic', 'tp']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TOPIC_ALREADY_EXISTS/);
    assert.match(r.stderr, /--if-not-exists/);
    r = await gregor(['topic', 'create', ...b, '--topic', 'tp', '--if-not-exists']);
    assert.equal(r.code, 0, r.stderr);

    r = await gregor(['topic', 'list', ...b]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lines(r.stdout).includes('tp'), r.stdout);

    r = await gregor(['topic', 'describe', ...b, '--topic', 'tp']);
    assert.equal(r.code, 0, r.stderr);
    const d = lines(r.stdout);
    assert.match(
      d[0]!,
      /^Topic: tp\tTopicId: \S{22}\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: .*retention\.ms=123456/,
    );
    assert.match(d[1]!, /^\tTopic: tp\tPartition: 0\tLeader: \d+\tReplicas: \d+\tIsr: \d+$/);
    assert.match(d[2]!, /^\tTopic: tp\tPartition: 1\t/);
    assert.equal(d.length, 3);

    r = await gregor([
      'topic',
      'alter',
      ...b,
      '--topic',
      'tp',
      '--partitions',
      '3',
      '--add-config',
      'retention.ms=999',
    ]);
    assert.equal(r.code, 0, r.stderr);
    r = await gregor(['topic', 'describe', ...b, '-t', 'tp']);
    assert.match(r.stdout, /PartitionCount: 3\t.*retention\.ms=999/);
    r = await gregor(['topic', 'alter', ...b, '--topic', 'tp', '--delete-config', 'retention.ms']);
    assert.equal(r.code, 0, r.stderr);
    r = await gregor(['topic', 'describe', ...b, '-t', 'tp']);
    assert.doesNotMatch(r.stdout, /retention\.ms/);

    r = await gregor(['topic', 'alter', ...b, '--topic', 'tp', '--partitions', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /can only be added/);

    r = await gregor(['topic', 'delete', ...b, '--topic', 'tp']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Deleted topic tp.\n');
    r = await gregor(['topic', 'describe', ...b, '--topic', 'tp']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
    r = await gregor(['topic', 'delete', ...b, '--topic', 'tp', '--if-exists']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('produces keyed lines with headers and consumes them with a kcat-style format', async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'kv', '--partitions', '3']);
    const input = 'k1:v1\nk2:v2\nk1:v3\nk3:v:with:colons\n';
    let r = await gregor(['produce', ...b, '--topic', 'kv', '-K', ':', '-H', 'src=cli', '-H', 'n=1'], input);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    r = await gregor([
      'consume',
      ...b,
      '-t',
      'kv',
      '--from-beginning',
      '-e',
      '-f',
      '%k|%s|%h|%p|%o|%T|%t\\n',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Processed a total of 4 messages/);
    const rows = lines(r.stdout).map((l) => l.split('|'));
    assert.equal(rows.length, 4);
    const byKey = new Map<string, string[][]>();
    for (const row of rows) {
      assert.equal(row[2], 'src=cli,n=1');
      assert.equal(row[6], 'kv');
      assert.ok(Number(row[5]) > 1_600_000_000_000);
      byKey.set(row[0]!, [...(byKey.get(row[0]!) ?? []), row]);
    }
    // Same key → same partition, in order.
    const k1 = byKey.get('k1')!;
    assert.deepEqual(
      k1.map((x) => x[1]),
      ['v1', 'v3'],
    );
    assert.equal(k1[0]![3], k1[1]![3]);
    assert.equal(byKey.get('k3')![0]![1], 'v:with:colons');

    // The Java client's partitioner (murmur2): kcat with partitioner=murmur2_random agrees.
    await kcat(
      ['-P', '-b', broker.bootstrap, '-t', 'kv', '-K', ':', '-X', 'partitioner=murmur2_random'],
      'k1:from-kcat\nk2:from-kcat\n',
    );
    r = await gregor(['consume', ...b, '-t', 'kv', '--from-beginning', '-e', '-f', '%k %s %p\\n']);
    const part = new Map<string, Set<string>>();
    for (const l of lines(r.stdout)) {
      const [k, , p] = l.split(' ');
      part.set(k!, (part.get(k!) ?? new Set()).add(p!));
    }
    assert.equal(part.get('k1')!.size, 1, r.stdout);
    assert.equal(part.get('k2')!.size, 1, r.stdout);
  });

  it("prints kafka-console-consumer's format with --property", async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'props', '--partitions', '1']);
    await gregor(
      ['produce', ...b, '--topic', 'props', '--property', 'parse.key=true', '--property', 'key.separator=='],
      'a=1\nb=2\n',
    );
    const r = await gregor([
      'consume',
      ...b,
      '-t',
      'props',
      '--from-beginning',
      '--max-messages',
      '2',
      '--property',
      'print.key=true',
      '--property',
      'print.partition=true',
      '--property',
      'print.offset=true',
      '--property',
      'print.headers=true',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'Partition:0\tOffset:0\tNO_HEADERS\ta\t1\nPartition:0\tOffset:1\tNO_HEADERS\tb\t2\n',
    );
  });

  it('starts at an offset, N from the end, or a timestamp; stops at a count', async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'pos', '--partitions', '1']);
    const file = join(dir, 'pos.txt');
    writeFileSync(file, Array.from({ length: 10 }, (_, i) => `m${i}`).join('\n'));
    let r = await gregor(['produce', ...b, '--topic', 'pos', '--file', file]);
    assert.equal(r.code, 0, r.stderr);
    r = await gregor(['consume', ...b, '-t', 'pos', '--offset', '7', '-e']);
    assert.deepEqual(lines(r.stdout), ['m7', 'm8', 'm9']);
    r = await gregor(['consume', ...b, '-t', 'pos', '-o', '-2', '-e']);
    assert.deepEqual(lines(r.stdout), ['m8', 'm9']);
    r = await gregor(['consume', ...b, '-t', 'pos', '--from-beginning', '--max-messages', '3']);
    assert.deepEqual(lines(r.stdout), ['m0', 'm1', 'm2']);
    r = await gregor(['consume', ...b, '-t', 'pos', '-e']);
    assert.deepEqual(lines(r.stdout), [], 'the default start is the end');
    // Timestamps: everything so far is older than `mark`; then two newer records.
    r = await gregor(['consume', ...b, '-t', 'pos', '-o', '9', '-e', '-f', '%T\\n']);
    const mark = Number(lines(r.stdout)[0]) + 1;
    await new Promise((res) => setTimeout(res, 5));
    await gregor(['produce', ...b, '--topic', 'pos'], 'late1\nlate2\n');
    r = await gregor(['consume', ...b, '-t', 'pos', '--timestamp', String(mark), '-e']);
    assert.deepEqual(lines(r.stdout), ['late1', 'late2']);
    r = await gregor(['consume', ...b, '-t', 'pos', '-o', `@${new Date(mark).toISOString()}`, '-e']);
    assert.deepEqual(lines(r.stdout), ['late1', 'late2']);
  });

  it('compresses with every codec and acks 0/1/all; kcat reads what gregor wrote and the reverse', async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'codecs', '--partitions', '1']);
    const expected: string[] = [];
    for (const [codec, acks] of [
      ['none', 'all'],
      ['gzip', '1'],
      ['snappy', 'all'],
      ['lz4', '1'],
      ['zstd', 'all'],
    ] as const) {
      const batch = Array.from({ length: 50 }, (_, i) => `${codec}-${i}`);
      expected.push(...batch);
      const r = await gregor(
        ['produce', ...b, '-t', 'codecs', '-z', codec, '--acks', acks],
        `${batch.join('\n')}\n`,
      );
      assert.equal(r.code, 0, `${codec}: ${r.stderr}`);
    }
    const r0 = await gregor(['produce', ...b, '-t', 'codecs', '--acks', '0'], 'acks0\n');
    assert.equal(r0.code, 0, r0.stderr);
    expected.push('acks0');
    const viaKcat = await kcat([
      '-C',
      '-b',
      broker.bootstrap,
      '-t',
      'codecs',
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%s\n',
    ]);
    assert.deepEqual(lines(viaKcat), expected);
    await kcat(['-P', '-b', broker.bootstrap, '-t', 'codecs', '-z', 'lz4'], 'from-kcat-1\nfrom-kcat-2\n');
    const r = await gregor(['consume', ...b, '-t', 'codecs', '-o', '-2', '-e']);
    assert.deepEqual(lines(r.stdout), ['from-kcat-1', 'from-kcat-2']);
  });

  it('consumes as a group member: commits, resumes, and shows in group describe', async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'grp', '--partitions', '2']);
    await gregor(['produce', ...b, '-t', 'grp'], 'a\nb\nc\nd\ne\nf\n');
    let r = await gregor([
      'consume',
      ...b,
      '-t',
      'grp',
      '--group',
      'g1',
      '--from-beginning',
      '--max-messages',
      '4',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const first = lines(r.stdout);
    assert.equal(first.length, 4);
    r = await gregor(['consume', ...b, '-t', 'grp', '--group', 'g1', '-e']);
    assert.equal(r.code, 0, r.stderr);
    const second = lines(r.stdout);
    assert.deepEqual(
      [...first, ...second].sort(),
      ['a', 'b', 'c', 'd', 'e', 'f'],
      'every record exactly once across the two runs',
    );
    r = await gregor(['consume', ...b, '-t', 'grp', '--group', 'g1', '-e']);
    assert.deepEqual(lines(r.stdout), [], 'nothing left after the commits');
    await gregor(['produce', ...b, '-t', 'grp'], 'g\n');
    r = await gregor(['consume', ...b, '-t', 'grp', '--group', 'g1', '-e']);
    assert.deepEqual(lines(r.stdout), ['g']);
  });

  it('parses headers and null markers like kafka-console-producer; reports bad lines, unknown topics and partitions', async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'hdr', '--partitions', '2']);
    let r = await gregor(
      [
        'produce',
        ...b,
        '-t',
        'hdr',
        '-p',
        '1',
        '--property',
        'parse.headers=true',
        '--property',
        'parse.key=true',
        '--property',
        'null.marker=NULL',
      ],
      'h1:a,h2:b\tk\tv\n\tNULL\tonly-value\nx:y\tk2\tNULL\n',
    );
    assert.equal(r.code, 0, r.stderr);
    r = await gregor([
      'consume',
      ...b,
      '-t',
      'hdr',
      '-p',
      '1',
      '--from-beginning',
      '-e',
      '-f',
      '[%h] [%k] %K [%s] %S\n',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [
      '[h1=a,h2=b] [k] 1 [v] 1',
      '[] [] -1 [only-value] 10',
      '[x=y] [k2] 2 [] -1',
    ]);
    r = await gregor(['consume', ...b, '-t', 'hdr', '-p', '0', '--from-beginning', '-e']);
    assert.deepEqual(lines(r.stdout), [], '--partition 1 wrote nothing to partition 0');

    r = await gregor(['produce', ...b, '-t', 'hdr', '-K', ':'], 'fine:1\nno separator here\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 2: no key separator ":"/);
    r = await gregor(['produce', ...b, '-t', 'no-such-topic'], 'x\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /topic 'no-such-topic': UNKNOWN_TOPIC_OR_PARTITION/);
    r = await gregor(['produce', ...b, '-t', 'hdr', '-p', '7'], 'x\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /topic 'hdr' has no partition 7 \(it has 2\)/);
    r = await gregor(['consume', ...b, '-t', 'hdr', '-p', '5', '-e']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /topic 'hdr' has no partition 5 \(it has 2\)/);
    r = await gregor(
      ['produce', ...b, '-t', 'hdr', '--max-record-bytes', '10'],
      'short\nthis line is too long\n',
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 2 is longer than 10 bytes/);
  });

  it('stops quietly when its reader goes away (| head)', async () => {
    await gregor(['topic', 'create', ...b, '--topic', 'many', '--partitions', '1']);
    await gregor(
      ['produce', ...b, '-t', 'many'],
      `${Array.from({ length: 20000 }, (_, i) => `line-${i}`).join('\n')}\n`,
    );
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
      execFile(
        'sh',
        [
          '-c',
          `node "${GREGOR_BIN}" consume -b ${broker.bootstrap} -t many --from-beginning -e | head -n 2; echo "status \${PIPESTATUS:-done}"`,
        ],
        { timeout: 60_000 },
        (err, stdout, stderr) =>
          res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(r.code, 0);
    assert.ok(r.stdout.startsWith('line-0\nline-1\n'), r.stdout);
    assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /);
  });

  it('prints every command’s help and exits 0', async () => {
    for (const cmd of [
      ['topic', 'create'],
      ['topic', 'list'],
      ['topic', 'describe'],
      ['topic', 'alter'],
      ['topic', 'delete'],
      ['produce'],
      ['consume'],
      ['group', 'list'],
      ['group', 'describe'],
      ['group', 'reset-offsets'],
      ['group', 'delete'],
      ['log', 'dump'],
      ['perf', 'produce'],
      ['perf', 'consume'],
    ]) {
      const r = await gregor([...cmd, '--help']);
      assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: gregor ${cmd.join(' ')} `));
      assert.match(r.stdout, /\nOptions:\n/);
      assert.match(r.stdout, /\nExamples:\n {2}.*gregor /);
      assert.match(r.stdout, /Exit status: 0 success, 1 runtime failure, 2 usage error/);
    }
  });
});
