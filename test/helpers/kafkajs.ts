/**
 * KafkaJS as the tests use it: a quiet client with retries, and a fresh consumer group that reads a
 * topic from the beginning until the caller has seen what it waits for.
 */
import kafkajs, { type KafkaMessage } from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export type KafkaClient = InstanceType<typeof Kafka>;

/** How long a read may take before the test fails with what it got. */
const READ_TIMEOUT_MS = 20_000;

export function kafkajsClient(bootstrap: string, clientId: string, retries = 8): KafkaClient {
  return new Kafka({
    brokers: [bootstrap],
    clientId,
    logLevel: logLevel.NOTHING,
    retry: { retries, initialRetryTime: 100 },
  });
}

/**
 * Reads `topic` from the beginning in a new group until `onMessage` returns true. Fails after
 * READ_TIMEOUT_MS, naming the topic.
 */
export async function readFromBeginning(
  kafka: KafkaClient,
  topic: string,
  readUncommitted: boolean,
  onMessage: (partition: number, message: KafkaMessage) => boolean,
): Promise<void> {
  const consumer = kafka.consumer({
    groupId: `read-${topic}-${readUncommitted}-${Math.random()}`,
    maxWaitTimeInMs: 100,
    readUncommitted,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic} did not finish in ${READ_TIMEOUT_MS} ms`)),
        READ_TIMEOUT_MS,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (onMessage(partition, message)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          reject(err);
        });
    });
  } finally {
    await consumer.disconnect();
  }
}
