"""confluent-kafka-python across a broker kill -9 (driven by the test through stdin/stdout).

Usage: txn_confluent_restart.py BOOTSTRAP TOPIC
Sends m0..m9 with an idempotent producer and leaves a transaction open (open-0..2), prints
"ready", waits for a line on stdin (the broker was killed and restarted meanwhile), sends
m10..m19 with the same producer and prints a JSON report. The test then kills this process.
"""
import json
import sys

from confluent_kafka import Producer

BOOTSTRAP = sys.argv[1]
TOPIC = sys.argv[2]
errors = []


def on_delivery(err, _msg):
    if err is not None:
        errors.append(str(err))


p = Producer({'bootstrap.servers': BOOTSTRAP, 'enable.idempotence': True, 'linger.ms': 0,
              'message.timeout.ms': 60000})
for i in range(10):
    p.produce(TOPIC, f'm{i}'.encode(), partition=i % 3, on_delivery=on_delivery)
p.flush(30)

t = Producer({'bootstrap.servers': BOOTSTRAP, 'transactional.id': 'py-restart-tx', 'transaction.timeout.ms': 3000})
t.init_transactions(30)
t.begin_transaction()
for partition in range(3):
    t.produce(TOPIC, f'open-{partition}'.encode(), partition=partition)
t.flush(30)

print('ready', flush=True)
sys.stdin.readline()

for i in range(10, 20):
    p.produce(TOPIC, f'm{i}'.encode(), partition=i % 3, on_delivery=on_delivery)
p.flush(60)
print(json.dumps({'errors': errors}), flush=True)
sys.stdin.readline()
