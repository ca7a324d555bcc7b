"""Idempotence and transactions with confluent-kafka-python (librdkafka); prints one JSON report.

Usage: txn_confluent_check.py BOOTSTRAP
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic

BOOTSTRAP = sys.argv[1]
report = {}
admin = AdminClient({'bootstrap.servers': BOOTSTRAP})


def create(topic, partitions):
    for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        f.result(15)


def delivered_errors(errors):
    def cb(err, _msg):
        if err is not None:
            errors.append(str(err))
    return cb


def end_markers(topic, partitions):
    p = Producer({'bootstrap.servers': BOOTSTRAP, 'enable.idempotence': True})
    for partition in range(partitions):
        p.produce(topic, b'end', partition=partition)
    p.flush(15)


def read_until_end(topic, partitions, isolation, timeout_s=30):
    c = Consumer({'bootstrap.servers': BOOTSTRAP, 'group.id': 'reader', 'enable.auto.commit': False,
                  'isolation.level': isolation, 'fetch.wait.max.ms': 100})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    out = []
    ended = set()
    deadline = time.time() + timeout_s
    while len(ended) < partitions and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        v = m.value().decode()
        if v == 'end':
            ended.add(m.partition())
        else:
            out.append(v)
    c.close()
    return sorted(out)


# Idempotent producer (the test's proxy cuts connections right after the broker answers).
create('py-idem', 1)
errors = []
p = Producer({'bootstrap.servers': BOOTSTRAP, 'enable.idempotence': True, 'linger.ms': 0})
for i in range(30):
    p.produce('py-idem', f'm{i}'.encode(), partition=0, on_delivery=delivered_errors(errors))
    p.flush(30)
report['idempotentErrors'] = errors
end_markers('py-idem', 1)
report['idempotent'] = read_until_end('py-idem', 1, 'read_uncommitted')

# Commit one transaction, abort another, across 3 partitions.
create('py-txn', 3)
tp = Producer({'bootstrap.servers': BOOTSTRAP, 'transactional.id': 'py-tx'})
tp.init_transactions(30)
tp.begin_transaction()
for partition in range(3):
    for i in range(2):
        tp.produce('py-txn', f'c-{partition}-{i}'.encode(), partition=partition)
tp.commit_transaction(30)
tp.begin_transaction()
for partition in range(3):
    for i in range(2):
        tp.produce('py-txn', f'a-{partition}-{i}'.encode(), partition=partition)
tp.flush(30)  # written to the partitions before the abort (abort_transaction purges unsent messages)
tp.abort_transaction(30)
end_markers('py-txn', 3)
report['readCommitted'] = read_until_end('py-txn', 3, 'read_committed')
report['readUncommitted'] = read_until_end('py-txn', 3, 'read_uncommitted')

# Consume-transform-produce with send_offsets_to_transaction.
create('py-in', 1)
create('py-out', 1)
seed = Producer({'bootstrap.servers': BOOTSTRAP})
for i in range(4):
    seed.produce('py-in', f'in{i}'.encode(), partition=0)
seed.flush(15)
c = Consumer({'bootstrap.servers': BOOTSTRAP, 'group.id': 'py-ctp', 'enable.auto.commit': False,
              'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed'})
c.assign([TopicPartition('py-in', 0, OFFSET_BEGINNING)])
got = []
deadline = time.time() + 30
while len(got) < 4 and time.time() < deadline:
    m = c.poll(0.5)
    if m is not None and not m.error():
        got.append(m.value().decode())
tp.begin_transaction()
for v in got:
    tp.produce('py-out', v.upper().encode(), partition=0)
tp.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
tp.commit_transaction(30)
report['committedOffset'] = c.committed([TopicPartition('py-in', 0)], 15)[0].offset
c.close()
end_markers('py-out', 1)
report['transformed'] = read_until_end('py-out', 1, 'read_committed')

# A second producer with the same transactional id fences the first.
create('py-fence', 1)
zombie = Producer({'bootstrap.servers': BOOTSTRAP, 'transactional.id': 'py-fence-tx'})
zombie.init_transactions(30)
zombie.begin_transaction()
zombie.produce('py-fence', b'zombie', partition=0)
zombie.flush(15)
successor = Producer({'bootstrap.servers': BOOTSTRAP, 'transactional.id': 'py-fence-tx'})
successor.init_transactions(30)
try:
    zombie.commit_transaction(15)
    report['zombieCommit'] = 'committed'
except KafkaException as e:
    report['zombieCommit'] = e.args[0].name()
successor.begin_transaction()
successor.produce('py-fence', b'successor', partition=0)
successor.commit_transaction(30)
end_markers('py-fence', 1)
report['fenced'] = read_until_end('py-fence', 1, 'read_committed')

print(json.dumps(report))
