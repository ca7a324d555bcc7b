"""Produce-then-read-back halves of the broker restart test, for kafka-python and confluent-kafka.

Usage: restart_roundtrip.py CLIENT MODE BOOTSTRAP TOPIC [N]
  CLIENT: kafka-python | confluent
  MODE produce: creates TOPIC (3 partitions), sends N keyed records with acks=all and prints the
    acknowledged records as JSON [[partition, offset, key, value], ...].
  MODE read: reads every partition of TOPIC from offset 0 to its end offset and prints the records
    in the same form.
The TypeScript test restarts the broker between the two and compares the lists.
"""
import json
import sys
import time

CLIENT, MODE, BOOTSTRAP, TOPIC = sys.argv[1:5]
N = int(sys.argv[5]) if len(sys.argv) > 5 else 0
PARTITIONS = 3


def record(i):
    return i % PARTITIONS, b'key-%d' % (i % 7), ('%s-v%d' % (TOPIC, i)).encode()


def kp_produce():
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, request_timeout_ms=10000)
    admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks='all', retries=0, request_timeout_ms=10000)
    acked = []
    for i in range(N):
        partition, key, value = record(i)
        md = producer.send(TOPIC, key=key, value=value, partition=partition).get(timeout=10)
        acked.append([md.partition, md.offset, key.decode(), value.decode()])
    producer.close()
    return acked


def kp_read():
    from kafka import KafkaConsumer, TopicPartition
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=None, enable_auto_commit=False,
                             fetch_max_wait_ms=100, request_timeout_ms=10000)
    tps = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    ends = consumer.end_offsets(tps)
    consumer.seek_to_beginning(*tps)
    total = sum(ends.values())
    out = []
    deadline = time.time() + 20
    while len(out) < total and time.time() < deadline:
        for _, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                out.append([r.partition, r.offset, r.key.decode(), r.value.decode()])
    consumer.close()
    return out


def ck_produce():
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({'bootstrap.servers': BOOTSTRAP})
    for f in admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)]).values():
        f.result(10)
    producer = Producer({'bootstrap.servers': BOOTSTRAP, 'acks': 'all', 'linger.ms': 0,
                         'message.timeout.ms': 10000})
    acked = []
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acked.append([msg.partition(), msg.offset(), msg.key().decode(), msg.value().decode()])

    for i in range(N):
        partition, key, value = record(i)
        producer.produce(TOPIC, value, key, partition=partition, on_delivery=on_delivery)
        producer.flush(10)
    if errors:
        raise SystemExit('delivery errors: %s' % errors)
    return acked


def ck_read():
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({'bootstrap.servers': BOOTSTRAP, 'group.id': 'restart-read-%s' % TOPIC,
                         'enable.auto.commit': False, 'fetch.wait.max.ms': 100})
    total = 0
    for p in range(PARTITIONS):
        _, high = consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)
        total += high
    consumer.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTITIONS)])
    out = []
    deadline = time.time() + 20
    while len(out) < total and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise SystemExit('consume error: %s' % m.error())
        out.append([m.partition(), m.offset(), m.key().decode(), m.value().decode()])
    consumer.close()
    return out


fns = {('kafka-python', 'produce'): kp_produce, ('kafka-python', 'read'): kp_read,
       ('confluent', 'produce'): ck_produce, ('confluent', 'read'): ck_read}
rows = fns[(CLIENT, MODE)]()
rows.sort(key=lambda r: (r[0], r[1]))
print(json.dumps(rows))
