/**
 * `gregor produce` is idempotent by default (enable.idempotence=true with acks=all, as the Java
 * producer since 3.0): through a proxy that cuts the connection after the broker wrote a batch and
 * before its answer arrives, the retried batches are written once. With idempotence off the same
 * cuts leave duplicates, which is what the default protects against.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerProcess } from '../helpers/broker.js';
import { gregor } from '../helpers/cli.js';
import { CuttingProxy } from '../helpers/cutting-proxy.js';
import { kcat, nonEmptyLines } from '../helpers/kcat.js';

const RECORDS = 20;
const CUTS = 3;

/** The values of a whole topic, read with kcat. */
async function values(bootstrap: string, topic: string): Promise<string[]> {
  return nonEmptyLines(
    await kcat(['-C', '-b', bootstrap, '-t', topic, '-e', '-q', '-o', 'beginning', '-f', '%s\n']),
  );
}

describe('gregor produce through connection cuts', () => {
  let broker: BrokerProcess;
  let proxy: CuttingProxy;
  let viaProxy = '';

  before(async () => {
    proxy = new CuttingProxy();
    const port = await proxy.listen();
    broker = await BrokerProcess.start({
      overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}` },
    });
    proxy.target = broker.port;
    viaProxy = `127.0.0.1:${port}`;
  });
  after(async () => {
    await broker?.close();
    await proxy?.close();
  });

  const produce = async (topic: string, extra: string[]) => {
    const created = await gregor(['topic', 'create', '--bootstrap-server', viaProxy, '--topic', topic]);
    assert.equal(created.code, 0, created.stderr);
    const input = `${Array.from({ length: RECORDS }, (_, i) => `r${i}`).join('\n')}\n`;
    proxy.cutNextProduce(CUTS);
    const cutsBefore = proxy.cuts;
    // One record per batch and per request, so each cut hits one batch the broker already wrote.
    const r = await gregor(
      [
        'produce',
        '--bootstrap-server',
        viaProxy,
        '-t',
        topic,
        '--batch-size',
        '1',
        '--linger-ms',
        '0',
        ...extra,
      ],
      input,
    );
    assert.equal(r.code, 0, r.stderr);
    return { cuts: proxy.cuts - cutsBefore, values: (await values(broker.bootstrap, topic)).sort() };
  };

  it('writes each record once by default (idempotent)', async () => {
    const expected = Array.from({ length: RECORDS }, (_, i) => `r${i}`).sort();
    const got = await produce('cli-idempotent', []);
    // One batch per partition in flight: each armed cut takes exactly one written batch's answer.
    assert.equal(got.cuts, CUTS);
    assert.deepEqual(got.values, expected);
  });

  it('duplicates the cut batches with enable.idempotence=false', async () => {
    const got = await produce('cli-not-idempotent', ['--producer-property', 'enable.idempotence=false']);
    // Pipelined requests share the cut connection, so how many were written twice varies; some were.
    assert.ok(got.cuts >= 1);
    assert.ok(got.values.length > RECORDS, `${got.values.length} records, expected duplicates`);
    assert.equal(new Set(got.values).size, RECORDS);
  });

  it('refuses enable.idempotence=true with acks other than all, and unknown producer properties', async () => {
    let r = await gregor(
      [
        'produce',
        '--bootstrap-server',
        viaProxy,
        '-t',
        'x',
        '--acks',
        '1',
        '--producer-property',
        'enable.idempotence=true',
      ],
      'a\n',
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /enable\.idempotence=true needs --acks all/);
    r = await gregor(
      ['produce', '--bootstrap-server', viaProxy, '-t', 'x', '--producer-property', 'linger=1'],
      'a\n',
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown --producer-property 'linger'/);
  });
});
