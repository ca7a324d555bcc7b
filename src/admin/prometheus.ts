/**
 * /metrics in Prometheus' text exposition format (version 0.0.4), written by hand. Names follow
 * what Prometheus' JMX exporter makes of Kafka's MBeans (kafka_server_brokertopicmetrics_…,
 * kafka_network_requestmetrics_…), and kafka_exporter's for consumer lag
 * (kafka_consumergroup_lag), so dashboards built for Kafka find the same series.
 */
import { LATENCY_BUCKETS_MS, METRICS_API_KEY_MAX, METRICS_ERROR_SLOTS } from '../core/metrics.js';
import { GroupRuntime } from '../group/offsets-topic.js';
import { apiMetaByKey } from '../protocol/generated/api-meta.js';
import { ErrorCode, errorCodeName } from '../protocol/generated/error-codes.js';
import type { Broker } from '../server/broker.js';

/** Escapes a label value (backslash, double quote, newline). */
function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Exposition {
  #out: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.#out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels?: Record<string, string | number>): this {
    let l = '';
    if (labels) {
      const parts = Object.entries(labels).map(([k, v]) => `${k}="${label(String(v))}"`);
      l = `{${parts.join(',')}}`;
    }
    this.#out.push(`${name}${l} ${Number.isFinite(value) ? value : value > 0 ? '+Inf' : '-Inf'}`);
    return this;
  }

  text(): string {
    return `${this.#out.join('\n')}\n`;
  }
}

const apiNames = new Map<number, string>();
function apiName(key: number): string {
  let name = apiNames.get(key);
  if (name === undefined) {
    name = apiMetaByKey(key)?.name ?? `api${key}`;
    apiNames.set(key, name);
  }
  return name;
}

/** The whole /metrics page for `broker` (a started broker; a stopped one gives process metrics only). */
export function renderMetrics(broker: Broker): string {
  const m = broker.metrics;
  const x = new Exposition();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  x.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.').sample(
    'process_resident_memory_bytes',
    mem.rss,
  );
  x.family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent in seconds.').sample(
    'process_cpu_seconds_total',
    (cpu.user + cpu.system) / 1e6,
  );
  x.family(
    'process_start_time_seconds',
    'gauge',
    'Start time of the process since the epoch in seconds.',
  ).sample('process_start_time_seconds', Math.round(performance.timeOrigin / 1000));
  x.family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use in bytes.').sample(
    'nodejs_heap_size_used_bytes',
    mem.heapUsed,
  );
  x.family(
    'gregor_broker_up',
    'gauge',
    '1 while the broker serves clients, 0 while starting or stopping.',
  ).sample('gregor_broker_up', broker.serving ? 1 : 0);

  // Requests per API.
  x.family('kafka_network_requestmetrics_requests_total', 'counter', 'Requests handled, by API.');
  for (let k = 0; k < METRICS_API_KEY_MAX; k++) {
    if (m.requests[k]! > 0)
      x.sample('kafka_network_requestmetrics_requests_total', m.requests[k]!, { request: apiName(k) });
  }
  // Error codes in responses, by API and code (Kafka's RequestMetrics ErrorsPerSec); a code Kafka
  // does not define goes under UNKNOWN_SERVER_ERROR, as Errors.forCode would have it.
  const e = 'kafka_network_requestmetrics_errors_total';
  x.family(e, 'counter', 'Error codes in responses (NONE included), by API and error.');
  for (let k = 0; k < METRICS_API_KEY_MAX; k++) {
    const row = m.errors[k];
    if (row === undefined) continue;
    const request = apiName(k);
    let unknown = row[ErrorCode.UNKNOWN_SERVER_ERROR + 1]!;
    for (let slot = 0; slot < METRICS_ERROR_SLOTS; slot++) {
      const code = slot - 1;
      if (code === ErrorCode.UNKNOWN_SERVER_ERROR || row[slot] === 0) continue;
      const error = errorCodeName(code);
      if (error === undefined) unknown += row[slot]!;
      else x.sample(e, row[slot]!, { request, error });
    }
    if (unknown > 0) x.sample(e, unknown, { request, error: 'UNKNOWN_SERVER_ERROR' });
  }
  const h = 'kafka_network_requestmetrics_totaltimems';
  x.family(h, 'histogram', 'Time from a request read in full to its response ready, in ms, by API.');
  for (let k = 0; k < METRICS_API_KEY_MAX; k++) {
    if (m.requests[k]! === 0) continue;
    const request = apiName(k);
    for (let b = 0; b < LATENCY_BUCKETS_MS.length; b++) {
      x.sample(`${h}_bucket`, m.latencyCumulative(k, b), { request, le: LATENCY_BUCKETS_MS[b]! });
    }
    x.sample(`${h}_bucket`, m.requests[k]!, { request, le: '+Inf' });
    x.sample(`${h}_sum`, m.latencySumMs[k]!, { request });
    x.sample(`${h}_count`, m.requests[k]!, { request });
  }

  // Connections.
  x.family(
    'kafka_server_socketservermetrics_connection_count',
    'gauge',
    'Open client connections, by listener.',
  );
  for (const c of broker.connectionCounts()) {
    x.sample('kafka_server_socketservermetrics_connection_count', c.count, { listener: c.listener });
  }

  let services: Broker['services'] | null = null;
  try {
    services = broker.services;
  } catch {
    return x.text();
  }

  // Per-topic throughput; counters of deleted topics go.
  for (const name of m.topics.keys()) if (services.metadata.topic(name) === undefined) m.topics.delete(name);
  const topicFamilies: [string, string, (t: import('../core/metrics.js').TopicMetrics) => number][] = [
    ['messagesin', 'Records appended, by topic.', (t) => t.messagesIn],
    ['bytesin', 'Record batch bytes appended, by topic.', (t) => t.bytesIn],
    ['bytesout', 'Record batch bytes sent to consumers, by topic.', (t) => t.bytesOut],
    [
      'messagesout',
      'Records sent to consumers, by topic (Gregor; Kafka has no such metric).',
      (t) => t.messagesOut,
    ],
    ['totalproducerequests', 'Produce requests naming the topic.', (t) => t.produceRequests],
    [
      'failedproducerequests',
      'Partition appends refused or failed, by topic.',
      (t) => t.failedProduceRequests,
    ],
  ];
  for (const [suffix, help, get] of topicFamilies) {
    const name = `kafka_server_brokertopicmetrics_${suffix}_total`;
    x.family(name, 'counter', help);
    for (const [topic, t] of m.topics) x.sample(name, get(t), { topic });
  }

  // Topics and partitions.
  const topics = services.metadata.topics();
  let partitionCount = 0;
  for (const t of topics) partitionCount += t.partitions.length;
  x.family('kafka_controller_kafkacontroller_globaltopiccount', 'gauge', 'Topics in the cluster.').sample(
    'kafka_controller_kafkacontroller_globaltopiccount',
    topics.length,
  );
  x.family(
    'kafka_controller_kafkacontroller_globalpartitioncount',
    'gauge',
    'Partitions in the cluster.',
  ).sample('kafka_controller_kafkacontroller_globalpartitioncount', partitionCount);
  let hosted = 0;
  for (const _ of services.replicas.partitions()) hosted++;
  x.family('kafka_server_replicamanager_partitioncount', 'gauge', 'Partitions hosted by this broker.').sample(
    'kafka_server_replicamanager_partitioncount',
    hosted,
  );
  x.family('kafka_server_replicamanager_leadercount', 'gauge', 'Partitions this broker leads.').sample(
    'kafka_server_replicamanager_leadercount',
    hosted,
  );
  x.family('kafka_log_log_logendoffset', 'gauge', 'Offset of the next record appended, by partition.');
  for (const p of services.replicas.partitions()) {
    x.sample('kafka_log_log_logendoffset', p.logEndOffset, { topic: p.topic, partition: p.partition });
  }
  x.family('kafka_log_log_logstartoffset', 'gauge', 'First offset still in the log, by partition.');
  for (const p of services.replicas.partitions()) {
    x.sample('kafka_log_log_logstartoffset', p.logStartOffset, { topic: p.topic, partition: p.partition });
  }
  x.family('kafka_log_log_size', 'gauge', 'Bytes of the log on disk, by partition.');
  for (const p of services.replicas.partitions()) {
    x.sample('kafka_log_log_size', p.log.sizeInBytes, { topic: p.topic, partition: p.partition });
  }

  // Groups and lag (only once the group coordinator runs: it starts on the first group request).
  const runtime = services.groups instanceof GroupRuntime ? services.groups : null;
  const groups = runtime ? runtime.coordinator.listGroups([], []) : [];
  x.family('kafka_coordinator_group_groupmetadatamanager_numgroups', 'gauge', 'Consumer groups.').sample(
    'kafka_coordinator_group_groupmetadatamanager_numgroups',
    groups.length,
  );
  x.family('kafka_consumergroup_current_offset', 'gauge', 'Committed offset, by group and partition.');
  const lags: [string, string, number, number][] = [];
  for (const g of groups) {
    const fetched = runtime!.coordinator.fetchOffsets(g.groupId, null);
    for (const t of fetched.topics) {
      for (const p of t.partitions) {
        if (p.committedOffset < 0) continue;
        const labels = { consumergroup: g.groupId, topic: t.name, partition: p.partitionIndex };
        x.sample('kafka_consumergroup_current_offset', p.committedOffset, labels);
        const part = services.replicas.partition(t.name, p.partitionIndex);
        if (part)
          lags.push([
            g.groupId,
            t.name,
            p.partitionIndex,
            Math.max(0, part.highWatermark - p.committedOffset),
          ]);
      }
    }
  }
  x.family(
    'kafka_consumergroup_lag',
    'gauge',
    'High watermark minus committed offset, by group and partition.',
  );
  for (const [consumergroup, topic, partition, lag] of lags) {
    x.sample('kafka_consumergroup_lag', lag, { consumergroup, topic, partition });
  }
  return x.text();
}
