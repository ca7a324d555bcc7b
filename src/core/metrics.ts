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
/**
 * Largest error code counted under its own number (Kafka's stop well below it). A code above it,
 * or below -1, is counted as UNKNOWN_SERVER_ERROR (-1), which is what Kafka's Errors.forCode makes
 * of a code it does not know; so the series stay bounded by APIs × known codes.
 */
export const METRICS_ERROR_CODE_MAX = 255;
/** Counters in an API's error row: one per code from -1 to METRICS_ERROR_CODE_MAX (slot = code + 1). */
export const METRICS_ERROR_SLOTS = METRICS_ERROR_CODE_MAX + 2;

/**
 * Calls `count` once per error code a response carries (the generated countErrors<Response>
 * functions, Kafka's errorCounts()).
 */
export type ResponseErrorWalker = (response: unknown, version: number, count: (code: number) => void) => void;

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
  /**
   * Error codes in responses, by api key: a row of METRICS_ERROR_SLOTS counters made at the API's
   * first response (at most METRICS_API_KEY_MAX rows, ~2 KiB each).
   */
  readonly errors: (Float64Array | undefined)[] = [];
  /** Per api key, the function the response walkers call with each code (made once per API). */
  readonly #errorCounters: ((code: number) => void)[] = [];
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

  /**
   * A request answered in `ms`. With `countErrors`, the error codes of `response` (its `version`)
   * are counted too: O(entries the response holds), which for Produce and Fetch is O(partitions).
   */
  observeRequest(
    apiKey: number,
    ms: number,
    response?: unknown,
    version?: number,
    countErrors?: ResponseErrorWalker,
  ): void {
    if (apiKey < 0 || apiKey >= METRICS_API_KEY_MAX) return;
    this.requests[apiKey]!++;
    this.latencySumMs[apiKey]! += ms;
    let b = 0;
    while (b < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[b]!) b++;
    this.latencyBuckets[apiKey * BUCKETS + b]!++;
    if (countErrors !== undefined) countErrors(response, version!, this.#errorCounter(apiKey));
  }

  #errorCounter(apiKey: number): (code: number) => void {
    let counter = this.#errorCounters[apiKey];
    if (counter === undefined) {
      const row = new Float64Array(METRICS_ERROR_SLOTS);
      this.errors[apiKey] = row;
      counter = (code: number) => {
        // `| 0`: a code a handler left undefined is written as 0 (NONE) on the wire; count it so.
        const c = code | 0;
        row[c >= -1 && c <= METRICS_ERROR_CODE_MAX ? c + 1 : 0]!++;
      };
      this.#errorCounters[apiKey] = counter;
    }
    return counter;
  }

  /** Cumulative count of requests of `apiKey` that took at most bucket `b`'s bound. */
  latencyCumulative(apiKey: number, b: number): number {
    let n = 0;
    for (let i = 0; i <= b; i++) n += this.latencyBuckets[apiKey * BUCKETS + i]!;
    return n;
  }
}
