import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { gregor } from '../helpers/cli.js';

/** A TCP server on loopback that answers each received frame with `reply(frame)` (or never). */
async function fakeBroker(
  reply: (frame: Buffer, socket: Socket) => void,
): Promise<{ server: Server; address: string }> {
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        reply(frame, socket);
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  return { server, address: `127.0.0.1:${port}` };
}

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

describe('gregor tools: usage errors (exit 2) and runtime failures (exit 1), never a stack trace or a hang', () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  it('usage errors exit 2 with the problem and a pointer to --help', async () => {
    const cases: [string[], RegExp][] = [
      [['topic', 'create', '--topic'], /--topic needs a value/],
      [['topic', 'create'], /--topic is required/],
      [['topic', 'create', '--topic', 't', '--partitions', 'x'], /--partitions must be an integer, got 'x'/],
      [['topic', 'create', '--topic', 't', '--partitions', '0'], /--partitions must be from 1/],
      [['topic', 'create', '--topic', 't', '--config', 'novalue'], /--config needs key=value, got 'novalue'/],
      [['topic', 'create', '--bogus'], /unknown option '--bogus'/],
      [['topic', 'alter', '--topic', 't'], /nothing to alter/],
      [['produce', '--topic', 't', '--acks', '2'], /--acks must be all, -1, 0 or 1, got '2'/],
      [
        ['produce', '--topic', 't', '-z', 'brotli'],
        /--compression-codec must be one of none, gzip, snappy, lz4, zstd/,
      ],
      [['produce', '--topic', 't', '--property', 'x=y'], /unknown --property 'x'/],
      [
        ['consume', '--topic', 't', '--offset', 'soon'],
        /--offset must be earliest, latest, N, -N or @TIMESTAMP/,
      ],
      [
        ['consume', '--topic', 't', '--from-beginning', '--offset', '3'],
        /only one of --from-beginning, --offset and --timestamp/,
      ],
      [['consume', '--topic', 't', '-f', '%q'], /unknown format token '%q'/],
      [
        ['consume', '--topic', 't', '--group', 'g', '--partition', '0'],
        /--partition cannot be combined with --group/,
      ],
      [
        ['consume', '--topic', 't', '--timestamp', 'yesterday-ish'],
        /--timestamp must be milliseconds since the epoch or ISO-8601/,
      ],
      [['perf', 'produce', '--topic', 't'], /--num-records is required/],
      [['group', 'describe'], /--group is required/],
      [['topic', 'frobnicate'], /unknown command 'frobnicate'/],
      [['topic'], /gregor topic: missing command/],
      [['log'], /gregor log: missing command/],
    ];
    for (const [args, message] of cases) {
      const r = await gregor(args);
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('an unreachable broker is exit 1 with what to check', async () => {
    const r = await gregor(['topic', 'list', '--bootstrap-server', '127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^gregor topic list: cannot connect to 127\.0\.0\.1:1: .*ECONNREFUSED.*\(check --bootstrap-server\)/,
    );
    const bad = await gregor(['topic', 'list', '--bootstrap-server', 'host:notaport']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad broker address 'host:notaport'/);
  });

  it('a malformed response is a clear error, not a crash', async () => {
    // Answers every request with its correlation id and then 3 garbage bytes.
    const { server, address } = await fakeBroker((f, socket) => {
      const body = Buffer.alloc(7);
      f.copy(body, 0, 4, 8);
      body.write('\xff\xff\xff', 4, 'latin1');
      socket.write(frame(body));
    });
    servers.push(server);
    const r = await gregor(['topic', 'list', '--bootstrap-server', address]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /malformed ApiVersions v\d response from 127\.0\.0\.1:\d+/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('an oversized frame and an unknown correlation id are refused', async () => {
    const { server, address } = await fakeBroker((_f, socket) => {
      const size = Buffer.alloc(4);
      size.writeInt32BE(0x7fffffff, 0);
      socket.write(size);
    });
    servers.push(server);
    let r = await gregor(['topic', 'list', '--bootstrap-server', address]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /malformed response .*: frame size 2147483647 \(limit \d+\)/);

    const other = await fakeBroker((_f, socket) => {
      const body = Buffer.alloc(8);
      body.writeInt32BE(424242, 0);
      socket.write(frame(body));
    });
    servers.push(other.server);
    r = await gregor(['topic', 'list', '--bootstrap-server', other.address]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown correlation id 424242/);
  });

  it('a broker that never answers times out after --request-timeout-ms', async () => {
    const { server, address } = await fakeBroker(() => {});
    servers.push(server);
    const r = await gregor(['topic', 'list', '--bootstrap-server', address, '--request-timeout-ms', '300']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ApiVersions request to 127\.0\.0\.1:\d+ timed out after 300 ms/);
  });
});
