import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  brokerConfigDef,
  brokerConfigDefs,
  checkBrokerConfigValue,
  configEnvName,
  configFromEnv,
} from '../../../src/cluster/config.js';
import { PropertiesError, parseProperties } from '../../../src/cluster/properties.js';

const record = (text: string) => Object.fromEntries(parseProperties(text).map((p) => [p.key, p.value]));

describe('properties reader (java.util.Properties syntax)', () => {
  it('reads key=value, key: value and key value, trimming blanks around the separator', () => {
    assert.deepEqual(record('a=1\nb: 2\nc 3\n  d   =   4  \ne\t:\tx y\n'), {
      a: '1',
      b: '2',
      c: '3',
      d: '4  ',
      e: 'x y',
    });
  });

  it('skips # and ! comments and blank lines; a key alone has an empty value', () => {
    assert.deepEqual(record('# c\n  ! c2\n\n   \nflag\nk=v # not a comment\n'), {
      flag: '',
      k: 'v # not a comment',
    });
  });

  it('continues lines ending in an odd number of backslashes, dropping the next line’s leading blanks', () => {
    assert.deepEqual(record('listeners=PLAINTEXT://a:1,\\\n    PLAINTEXT://b:2\npath=C:\\\\\nnext=1'), {
      listeners: 'PLAINTEXT://a:1,PLAINTEXT://b:2',
      path: 'C:\\',
      next: '1',
    });
  });

  it('unescapes \\t \\n \\uXXXX, escaped separators in keys, and any other escaped character', () => {
    assert.deepEqual(record('k\\=ey\\:x=v\\tw\\n\\u00e9\\q'), { 'k=ey:x': 'v\tw\néq' });
    assert.throws(() => parseProperties('a=\\u12'), PropertiesError);
  });

  it('handles \\r\\n and \\r line ends, reports the line an entry starts on, last value wins', () => {
    const entries = parseProperties('a=1\r\n# x\r\nb=\\\r\n 2\rc=3\na=4');
    assert.deepEqual(
      entries.map((e) => [e.key, e.value, e.line]),
      [
        ['a', '1', 1],
        ['b', '2', 3],
        ['c', '3', 5],
        ['a', '4', 6],
      ],
    );
    assert.equal(record('a=1\na=2').a, '2');
  });
});

describe('broker setting definitions', () => {
  it('every default passes its own check, and every name is unique', () => {
    const names = new Set<string>();
    for (const d of brokerConfigDefs) {
      assert.ok(!names.has(d.name), `${d.name} defined once`);
      names.add(d.name);
      assert.ok(d.doc.length > 0, `${d.name} has a doc line`);
      if (d.default !== null && d.default !== '') {
        assert.equal(checkBrokerConfigValue(d, d.default), null, `default of ${d.name}`);
      }
    }
  });

  it('checks types, ranges and choices', () => {
    const check = (name: string, v: string) => checkBrokerConfigValue(brokerConfigDef(name)!, v);
    assert.equal(check('num.partitions', '3'), null);
    assert.equal(check('num.partitions', '0'), 'must be at least 1');
    assert.equal(check('num.partitions', '1.5'), "'1.5' is not an integer");
    assert.equal(check('auto.create.topics.enable', 'yes'), "'yes' is not a boolean");
    assert.match(check('log.cleanup.policy', 'compact,delete') ?? 'ok', /^ok$/);
    assert.match(check('log.cleanup.policy', 'compact,purge') ?? '', /'purge' is not one of delete, compact/);
    assert.match(check('listeners', 'localhost:9092') ?? '', /is not NAME:\/\/host:port/);
    assert.match(check('listeners', 'PLAINTEXT://h:70000') ?? '', /port above 65535/);
    assert.equal(check('admin.listener', ''), null);
    assert.match(check('admin.listener', '9644') ?? '', /not host:port/);
    assert.match(check('log.cleaner.min.cleanable.ratio', '2') ?? '', /from 0 to 1/);
  });

  it('maps GREGOR_* environment variables to names', () => {
    assert.equal(configEnvName('log.retention.hours'), 'GREGOR_LOG_RETENTION_HOURS');
    const env = configFromEnv({
      GREGOR_LOG_RETENTION_HOURS: '24',
      GREGOR_ADMIN_LISTENER: ':9644',
      GREGOR_NO_SUCH: 'x',
      GREGOR_BOOTSTRAP_SERVER: '127.0.0.1:9092',
      PATH: '/bin',
    });
    assert.deepEqual(Object.fromEntries([...env].map(([k, v]) => [k, `${v.name}=${v.value}`])), {
      GREGOR_LOG_RETENTION_HOURS: 'log.retention.hours=24',
      GREGOR_ADMIN_LISTENER: 'admin.listener=:9644',
      GREGOR_NO_SUCH: 'no.such=x',
    });
  });
});
