/** The Debian packages (python3-confluent-kafka, python3-kafka) install into the system Python. */
export const PYTHON = '/usr/bin/python3';

/**
 * A confluent-kafka (librdkafka) group member: argv bootstrap group topic instance|- [strategy].
 * With the eager strategies on_assign receives the whole assignment; with cooperative-sticky it
 * receives only the increment, so the loop reports the full assignment whenever it changes.
 */
export const CONFLUENT_MEMBER = `
import json, signal, sys
from confluent_kafka import Consumer
bootstrap, group, topic, instance = sys.argv[1:5]
strategy = sys.argv[5] if len(sys.argv) > 5 else 'range'
conf = {'bootstrap.servers': bootstrap, 'group.id': group, 'session.timeout.ms': 3000,
        'heartbeat.interval.ms': 300, 'auto.offset.reset': 'earliest',
        'enable.auto.commit': True, 'auto.commit.interval.ms': 200,
        'partition.assignment.strategy': strategy}
if instance != '-':
    conf['group.instance.id'] = instance
c = Consumer(conf)
cooperative = strategy == 'cooperative-sticky'
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
def report(parts):
    print(json.dumps({'event': 'join', 'assignment': sorted(p.partition for p in parts)}), flush=True)
def on_assign(consumer, parts):
    if not cooperative:
        report(parts)
c.subscribe([topic], on_assign=on_assign)
last = None
while running:
    m = c.poll(0.1)
    if cooperative:
        now = sorted(p.partition for p in c.assignment())
        if now != last:
            last = now
            print(json.dumps({'event': 'join', 'assignment': now}), flush=True)
    if m is None or m.error():
        continue
    print(json.dumps({'event': 'message', 'value': m.value().decode()}), flush=True)
c.close()
`;

/** A kafka-python group member: argv bootstrap group topic. */
export const KAFKA_PYTHON_MEMBER = `
import json, signal, sys
from kafka import KafkaConsumer, ConsumerRebalanceListener
bootstrap, group, topic = sys.argv[1:4]
c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, session_timeout_ms=3000,
                  heartbeat_interval_ms=300, auto_offset_reset='earliest', enable_auto_commit=True,
                  auto_commit_interval_ms=200)
class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        pass
    def on_partitions_assigned(self, assigned):
        print(json.dumps({'event': 'join', 'assignment': sorted(p.partition for p in assigned)}), flush=True)
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
c.subscribe([topic], listener=Listener())
while running:
    for tp, msgs in c.poll(timeout_ms=100).items():
        for m in msgs:
            print(json.dumps({'event': 'message', 'value': m.value.decode()}), flush=True)
c.close()
`;
