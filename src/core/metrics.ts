/**
 * The broker's counters, updated on the hot path and read by the admin server's /metrics.
 * Cheap by construction: per-API counters live in typed arrays indexed by api key, per-topic
 * counters in one small object per topic (one Map lookup per topic of a request, nothing per
 * record), and request latency goes into fixed histogram buckets without allocating.
 */

/** Upper bounds (ms) of the request latency histogram's buckets; +Inf is implied. */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];
/** Api keys tracked per API (Kafka's keys are below 100); requests with a higher key are not counted. */
export const METRICS_API_KEY_MAX = 128;

/** Per-topic counters, modelled on Kafka's BrokerTopicMetrics. */
export class TopicMetrics {
  messagesIn = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Records sent to consumers (counted from batch headers; not a Kafka metric). */
  messagesOut = 0;
  produceRequests = 0;
  failedProduceRequests = 0;
  fetchRequests = 0;
}

const BUCKETS = LATENCY_BUCKETS_MS.length + 1;

export class BrokerMetrics {
  /** Requests answered (or dropped for acks=0), by api key. */
  readonly requests = new Float64Array(METRICS_API_KEY_MAX);
  /** Sum of request latency in ms, by api key. */
  readonly latencySumMs = new Float64Array(METRICS_API_KEY_MAX);
  /** Histogram counts, api key × bucket (non-cumulative; the last bucket is +Inf). */
  readonly latencyBuckets = new Float64Array(METRICS_API_KEY_MAX * BUCKETS);
  /**
   * Counters per topic. Bounded by the topics the broker hosts: entries are created only for
   * existing topics, and the /metrics scrape drops those of deleted topics.
   */
  readonly topics = new Map<string, TopicMetrics>();
  /** When the broker started serving (ms since the epoch), 0 before. */
  startedAt = 0;

  topic(name: string): TopicMetrics {
    let t = this.topics.get(name);
    if (t === undefined) {
      t = new TopicMetrics();
      this.topics.set(name, t);
    }
    return t;
  }

  observeRequest(apiKey: number, ms: number): void {
    if (apiKey < 0 || apiKey >= METRICS_API_KEY_MAX) return;
    this.requests[apiKey]!++;
    this.latencySumMs[apiKey]! += ms;
    let b = 0;
    while (b < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[b]!) b++;
    this.latencyBuckets[apiKey * BUCKETS + b]!++;
  }

  /** Cumulative count of requests of `apiKey` that took at most bucket `b`'s bound. */
  latencyCumulative(apiKey: number, b: number): number {
    let n = 0;
    for (let i = 0; i <= b; i++) n += this.latencyBuckets[apiKey * BUCKETS + i]!;
    return n;
  }
}
