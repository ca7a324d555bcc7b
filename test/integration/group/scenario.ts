import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { BrokerProcess } from '../../helpers/broker.js';
import { countOf, type Member, stopped, waitFor } from './members.js';

export interface GroupTestBroker {
  broker: BrokerProcess;
  admin: Admin;
  producer: Producer;
}

/**
 * The broker of a group test file, with fast rebalances, and the KafkaJS admin and producer that
 * create its topics and feed them: started before the file's tests, closed after (call in describe).
 */
export function groupTestBroker(overrides: Record<string, string> = {}): GroupTestBroker {
  const t = {} as GroupTestBroker;
  before(async () => {
    t.broker = await BrokerProcess.start({
      overrides: {
        'group.initial.rebalance.delay.ms': '0',
        'group.min.session.timeout.ms': '1000',
        ...overrides,
      },
    });
    const kafka = new Kafka({
      brokers: [t.broker.bootstrap],
      clientId: 'gregor-test',
      logLevel: logLevel.NOTHING,
    });
    t.admin = kafka.admin();
    await t.admin.connect();
    t.producer = kafka.producer();
    await t.producer.connect();
  });
  after(async () => {
    await t.producer?.disconnect();
    await t.admin?.disconnect();
    await t.broker?.close();
  });
  return t;
}

export type SpawnMember = (name: string) => { child: ChildProcess; member: Member; stderr: string[] };

async function produce(producer: Producer, topic: string, prefix: string, count: number): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await producer.send({ topic, messages: values.map((value, i) => ({ value, partition: i % 6 })) });
  return values;
}

async function committedOffsets(admin: Admin, group: string, topic: string): Promise<Map<number, number>> {
  const res = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return new Map((res[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

/**
 * The group scenario for one client, on a fresh 6-partition topic: 3 members own 2 each;
 * exactly once without failures; a leave and a kill are taken over; offsets are committed; lag
 * is readable; a restarted member resumes from the committed offsets; describe, list, delete.
 */
export async function groupScenario(opts: {
  admin: Admin;
  producer: Producer;
  topic: string;
  group: string;
  spawn: SpawnMember;
  /** 'consumer' (KIP-848) groups are not classic: DescribeGroups does not describe them. */
  protocol?: 'classic' | 'consumer';
}): Promise<void> {
  const classic = (opts.protocol ?? 'classic') === 'classic';
  const { admin, producer, topic, group } = opts;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  const procs = [opts.spawn('m0'), opts.spawn('m1'), opts.spawn('m2')];
  const debug = () =>
    JSON.stringify(
      procs.map((p) => ({
        a: p.member.assignment,
        n: p.member.values.length,
        err: p.stderr.join('').slice(-500),
      })),
    );
  try {
    const [m0, m1, m2] = procs as [(typeof procs)[0], (typeof procs)[0], (typeof procs)[0]];
    const all = procs.map((p) => p.member);
    await waitFor(`2 partitions each ${debug()}`, () => all.every((m) => m.assignment.length === 2));
    assert.deepEqual(all.flatMap((m) => m.assignment).sort(), [0, 1, 2, 3, 4, 5]);

    // A fetch parked before the last rebalance may still answer for a partition its client no
    // longer owns; one message per partition flushes those before the exactly-once check.
    const warmup = await produce(producer, topic, 'warmup', 6);
    await waitFor('warmup consumed', () => countOf(all, warmup).size === warmup.length);
    const first = await produce(producer, topic, 'first', 120);
    await waitFor('first batch consumed', () => countOf(all, first).size === first.length);
    assert.ok(
      [...countOf(all, first).values()].every((n) => n === 1),
      'each message exactly once',
    );

    // A member leaves the group: the two others take over its partitions.
    m0.child.kill('SIGTERM');
    await stopped(m0.child);
    await waitFor(
      `3 partitions each after a leave ${debug()}`,
      () => m1.member.assignment.length === 3 && m2.member.assignment.length === 3,
    );
    assert.deepEqual([...m1.member.assignment, ...m2.member.assignment].sort(), [0, 1, 2, 3, 4, 5]);
    const second = await produce(producer, topic, 'second', 60);
    await waitFor(
      'second batch consumed',
      () => countOf([m1.member, m2.member], second).size === second.length,
    );

    // A member dies without leaving: once its session times out the survivor owns everything.
    m1.child.kill('SIGKILL');
    await stopped(m1.child);
    await waitFor(
      `6 partitions after the session timeout ${debug()}`,
      () => m2.member.assignment.length === 6,
    );
    const third = await produce(producer, topic, 'third', 60);
    await waitFor('third batch consumed', () => countOf([m2.member], third).size === third.length);

    const ends = await admin.fetchTopicOffsets(topic);
    await waitFor('offsets committed to the end of every partition', async () => {
      const committed = await committedOffsets(admin, group, topic);
      return ends.every((e) => committed.get(e.partition) === Number(e.high));
    });
    m2.child.kill('SIGTERM');
    await stopped(m2.child);

    // Lag through the admin APIs: the new messages, nothing else.
    const fourth = await produce(producer, topic, 'fourth', 12);
    const committed = await committedOffsets(admin, group, topic);
    const highs = await admin.fetchTopicOffsets(topic);
    const lag = highs.reduce((sum, h) => sum + Number(h.high) - (committed.get(h.partition) ?? 0), 0);
    assert.equal(lag, 12);

    // A restarted member resumes from the committed offsets.
    const m3 = opts.spawn('m3');
    procs.push(m3);
    await waitFor('fourth batch consumed', () => countOf([m3.member], fourth).size === fourth.length);
    assert.deepEqual(
      m3.member.values.filter((v) => !v.startsWith('fourth')),
      [],
      'nothing committed before is consumed again',
    );

    const described = await admin.describeGroups([group]);
    if (classic) {
      assert.equal(described.groups[0]?.state, 'Stable');
      assert.equal(described.groups[0]?.protocolType, 'consumer');
      assert.equal(described.groups[0]?.members.length, 1);
    } else {
      // DescribeGroups up to v5 sees classic groups only: Kafka 4.0 answers Dead (kafkajs throws
      // on a group error, so getting here means there was none).
      assert.equal(described.groups[0]?.state, 'Dead');
      assert.equal(described.groups[0]?.protocolType, '');
      assert.equal(described.groups[0]?.members.length, 0);
    }
    assert.ok(
      (await admin.listGroups()).groups.some((g) => g.groupId === group && g.protocolType === 'consumer'),
    );
    await assert.rejects(
      admin.deleteGroups([group]),
      (err: { groups?: { error?: { type?: string } }[] }) =>
        err.groups?.[0]?.error?.type === 'NON_EMPTY_GROUP',
    );
    m3.child.kill('SIGTERM');
    await stopped(m3.child);
    // Once the last member has left, the group can be deleted.
    await waitFor('the group to be deleted', async () => {
      try {
        await admin.deleteGroups([group]);
        return true;
      } catch {
        return false;
      }
    });
    if (classic) assert.equal((await admin.describeGroups([group])).groups[0]?.state, 'Dead');
    assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === group));
  } finally {
    for (const p of procs) p.child.kill('SIGKILL');
  }
}
