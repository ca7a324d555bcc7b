"""Drives confluent-kafka-python (librdkafka, the Debian package) against a broker; prints one JSON report.

Usage: confluent_kafka_check.py BOOTSTRAP
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING, OFFSET_END
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

BOOTSTRAP = sys.argv[1]
report = {}
admin = AdminClient({'bootstrap.servers': BOOTSTRAP})


def create(topic, partitions, config=None):
    futures = admin.create_topics([NewTopic(topic, partitions, 1, config=config or {})])
    for f in futures.values():
        f.result(15)


def consumer():
    return Consumer({'bootstrap.servers': BOOTSTRAP, 'group.id': 'unused', 'enable.auto.commit': False,
                     'fetch.wait.max.ms': 100})


def consume(topic, partitions, count, offset=OFFSET_BEGINNING, timeout_s=20):
    c = consumer()
    c.assign([TopicPartition(topic, p, offset) for p in partitions])
    out = []
    deadline = time.time() + timeout_s
    while len(out) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        out.append({'partition': m.partition(), 'offset': m.offset(),
                    'key': m.key().decode() if m.key() is not None else None,
                    'value': m.value().decode() if m.value() is not None else None,
                    'headers': [[k, v.decode()] for k, v in (m.headers() or [])]})
    c.close()
    return out


report['codecs'] = {}
for codec in ['none', 'gzip', 'snappy', 'lz4', 'zstd']:
    topic = 'ck-%s' % codec
    create(topic, 1)
    p = Producer({'bootstrap.servers': BOOTSTRAP, 'compression.codec': codec, 'linger.ms': 5})
    for i in range(20):
        p.produce(topic, key=b'k%d' % i, value=b'v%d' % i, headers=[('h', b'%d' % i)])
    p.flush(15)
    report['codecs'][codec] = consume(topic, [0], 20)

create('ck-keyed', 3)
p = Producer({'bootstrap.servers': BOOTSTRAP, 'acks': 'all'})
for i in range(90):
    p.produce('ck-keyed', key=b'key-%d' % (i % 9), value=b'%d' % i)
p.flush(15)
report['keyed'] = consume('ck-keyed', [0, 1, 2], 90)

# acks=0 still lands in the log.
p0 = Producer({'bootstrap.servers': BOOTSTRAP, 'acks': 0})
create('ck-acks0', 1)
for i in range(10):
    p0.produce('ck-acks0', value=b'a%d' % i)
p0.flush(15)
report['acks0'] = [m['value'] for m in consume('ck-acks0', [0], 10)]

create('ck-rewind', 1)
t0 = int(time.time() * 1000) - 100000
for i in range(10):
    p.produce('ck-rewind', value=b'm%d' % i, timestamp=t0 + i * 1000)
    p.flush(15)
report['rewind'] = consume('ck-rewind', [0], 3, offset=5)
c = consumer()
found = c.offsets_for_times([TopicPartition('ck-rewind', 0, t0 + 3500)], 10)
report['by_timestamp'] = found[0].offset
low, high = c.get_watermark_offsets(TopicPartition('ck-rewind', 0), 10)
report['watermarks'] = [low, high]
c.close()

create('ck-wait', 1)
w = consumer()
w.assign([TopicPartition('ck-wait', 0, OFFSET_END)])
w.poll(0.5)
p.produce('ck-wait', value=b'late')
p.flush(15)
late = []
deadline = time.time() + 20
while not late and time.time() < deadline:
    m = w.poll(1.0)
    if m is not None and not m.error():
        late.append(m.value().decode())
report['waited'] = late
w.close()

create('ck-admin', 2, {'retention.ms': '3600000'})
res = ConfigResource('topic', 'ck-admin')
described = list(admin.describe_configs([res]).values())[0].result(15)
report['described_retention'] = described['retention.ms'].value
report['described_cleanup'] = described['cleanup.policy'].value
report['described_source'] = int(described['retention.ms'].source)
alter = ConfigResource('topic', 'ck-admin', set_config={'retention.ms': '7200000'})
for f in admin.alter_configs([alter]).values():
    f.result(15)
described = list(admin.describe_configs([res]).values())[0].result(15)
report['altered_retention'] = described['retention.ms'].value
for f in admin.create_partitions([NewPartitions('ck-admin', 4)]).values():
    f.result(15)
report['partitions_after_grow'] = len(admin.list_topics(timeout=10).topics['ck-admin'].partitions)
for f in admin.delete_topics(['ck-admin']).values():
    f.result(15)
report['exists_after_delete'] = 'ck-admin' in admin.list_topics(timeout=10).topics

print(json.dumps(report))
