"""Drives kafka-python (the Debian package) against a broker and prints one JSON report.

Usage: kafka_python_check.py BOOTSTRAP
Every scenario records what it observed; the TypeScript test asserts on the report.
"""
import json
import sys
import time

import kafka.codec
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic

BOOTSTRAP = sys.argv[1]
report = {}


def consume(topic, partitions, count, start=None, timeout_s=20):
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=None, enable_auto_commit=False,
                             fetch_max_wait_ms=100)
    tps = [TopicPartition(topic, p) for p in partitions]
    consumer.assign(tps)
    if start is None:
        consumer.seek_to_beginning(*tps)
    else:
        for tp in tps:
            consumer.seek(tp, start)
    out = []
    deadline = time.time() + timeout_s
    while len(out) < count and time.time() < deadline:
        for tp, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                out.append({
                    'partition': r.partition, 'offset': r.offset,
                    'key': r.key.decode() if r.key is not None else None,
                    'value': r.value.decode() if r.value is not None else None,
                    'headers': [[k, v.decode()] for k, v in (r.headers or [])],
                    'timestamp': r.timestamp,
                })
    consumer.close()
    return out


codecs = [None] + [c for c, has in (('gzip', kafka.codec.has_gzip()), ('snappy', kafka.codec.has_snappy()),
                                       ('lz4', kafka.codec.has_lz4()), ('zstd', kafka.codec.has_zstd())) if has]
report['codecs'] = {}
admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
for codec in codecs:
    topic = 'kp-%s' % (codec or 'none')
    admin.create_topics([NewTopic(topic, 1, 1)])
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, compression_type=codec, linger_ms=5)
    for i in range(20):
        producer.send(topic, key=b'k%d' % i, value=b'v%d' % i, headers=[('h', b'%d' % i)])
    producer.flush()
    producer.close()
    report['codecs'][codec or 'none'] = consume(topic, [0], 20)

admin.create_topics([NewTopic('kp-keyed', 3, 1)])
producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks=1)
for i in range(90):
    producer.send('kp-keyed', key=b'key-%d' % (i % 9), value=b'%d' % i)
producer.flush()
report['keyed'] = consume('kp-keyed', [0, 1, 2], 90)

# Rewind and offsets by timestamp, one record per request so timestamps are per batch.
admin.create_topics([NewTopic('kp-rewind', 1, 1)])
t0 = int(time.time() * 1000) - 100000
for i in range(10):
    producer.send('kp-rewind', value=b'm%d' % i, timestamp_ms=t0 + i * 1000).get(timeout=10)
report['rewind'] = consume('kp-rewind', [0], 3, start=5)
consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=None)
tp = TopicPartition('kp-rewind', 0)
found = consumer.offsets_for_times({tp: t0 + 3500})
report['by_timestamp'] = found[tp].offset if found[tp] else None
report['end_offset'] = consumer.end_offsets([tp])[tp]
report['beginning_offset'] = consumer.beginning_offsets([tp])[tp]
consumer.close()

# A consumer at the end of an empty partition gets a record produced after it started waiting.
admin.create_topics([NewTopic('kp-wait', 1, 1)])
waiter = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=None, fetch_max_wait_ms=5000)
wtp = TopicPartition('kp-wait', 0)
waiter.assign([wtp])
waiter.seek(wtp, 0)
waiter.poll(timeout_ms=300)
producer.send('kp-wait', value=b'late').get(timeout=10)
late = []
deadline = time.time() + 20
while not late and time.time() < deadline:
    for _, records in waiter.poll(timeout_ms=1000).items():
        late.extend(r.value.decode() for r in records)
report['waited'] = late
waiter.close()
producer.close()

# Admin: create with config, describe, alter, grow, delete.
admin.create_topics([NewTopic('kp-admin', 2, 1, topic_configs={'retention.ms': '3600000'})])
described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'kp-admin')])
entries = {c[0]: c[1] for c in described[0].resources[0][4]}
report['described_retention'] = entries.get('retention.ms')
report['described_cleanup'] = entries.get('cleanup.policy')
admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, 'kp-admin', configs={'retention.ms': '7200000'})])
described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'kp-admin')])
report['altered_retention'] = {c[0]: c[1] for c in described[0].resources[0][4]}.get('retention.ms')
admin.create_partitions({'kp-admin': NewPartitions(4)})
report['topics_before_delete'] = 'kp-admin' in admin.list_topics()
admin.delete_topics(['kp-admin'])
report['topics_after_delete'] = 'kp-admin' in admin.list_topics()
admin.close()

print(json.dumps(report))
