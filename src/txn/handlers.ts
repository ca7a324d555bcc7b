/**
 * The transaction APIs: AddPartitionsToTxn (client v0-3 and broker v4 forms), AddOffsetsToTxn,
 * EndTxn, WriteTxnMarkers, TxnOffsetCommit, and the admin APIs DescribeProducers,
 * DescribeTransactions, ListTransactions (InitProducerId is in init-producer-id.ts).
 */
import { ErrorCode, KafkaError } from '../errors.js';
import type { CommittedOffset } from '../group/offsets.js';
import { encodeOffsetCommitKey, encodeOffsetCommitValue } from '../group/records.js';
import type { ApiHandler } from '../handlers/types.js';
import type { AddOffsetsToTxnRequest } from '../protocol/generated/add-offsets-to-txn-request.js';
import type { AddOffsetsToTxnResponseInput } from '../protocol/generated/add-offsets-to-txn-response.js';
import type { AddPartitionsToTxnRequest } from '../protocol/generated/add-partitions-to-txn-request.js';
import type {
  AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput,
  AddPartitionsToTxnResponseInput,
} from '../protocol/generated/add-partitions-to-txn-response.js';
import type { DescribeProducersRequest } from '../protocol/generated/describe-producers-request.js';
import type { DescribeProducersResponseInput } from '../protocol/generated/describe-producers-response.js';
import type { DescribeTransactionsRequest } from '../protocol/generated/describe-transactions-request.js';
import type { DescribeTransactionsResponseInput } from '../protocol/generated/describe-transactions-response.js';
import type { EndTxnRequest } from '../protocol/generated/end-txn-request.js';
import type { EndTxnResponseInput } from '../protocol/generated/end-txn-response.js';
import type { ListTransactionsRequest } from '../protocol/generated/list-transactions-request.js';
import type { ListTransactionsResponseInput } from '../protocol/generated/list-transactions-response.js';
import type { TxnOffsetCommitRequest } from '../protocol/generated/txn-offset-commit-request.js';
import type { TxnOffsetCommitResponseInput } from '../protocol/generated/txn-offset-commit-response.js';
import type { WriteTxnMarkersRequest } from '../protocol/generated/write-txn-markers-request.js';
import type { WriteTxnMarkersResponseInput } from '../protocol/generated/write-txn-markers-response.js';
import { buildBatchSync } from '../protocol/records/builder.js';
import { splitTxnPartitionKey, txnPartitionKey } from './coordinator.js';
import { OFFSETS_TOPIC, type TxnCoordinatorHost } from './coordinator-host.js';
import { codeOf, fencedFor } from './init-producer-id.js';
import { TXN_STATE_NAMES, TxnState } from './txn-log.js';

function u8(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function txnHandlers(rt: TxnCoordinatorHost): ApiHandler[] {
  const addPartitionsToTxn: ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInput> = {
    apiKey: 24,
    name: 'AddPartitionsToTxn',
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      const one = async (
        id: string,
        producerId: number,
        producerEpoch: number,
        verifyOnly: boolean,
        topics: ReadonlyArray<{ name: string; partitions: readonly number[] }>,
      ): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[]> => {
        const list: Array<[string, number]> = [];
        for (const t of topics) for (const p of t.partitions) list.push([t.name, p]);
        let codes: Map<string, number>;
        try {
          codes = verifyOnly
            ? rt.coordinator().verifyPartitions(id, producerId, producerEpoch, list)
            : await rt.coordinator().addPartitions(id, producerId, producerEpoch, list);
        } catch (err) {
          if (!(err instanceof KafkaError)) ctx.services.logger.error({ err }, 'AddPartitionsToTxn failed');
          const code = fencedFor(codeOf(err), ctx.apiVersion, 2);
          codes = new Map(list.map(([t, p]) => [txnPartitionKey(t, p), code]));
        }
        return topics.map((t) => ({
          name: t.name,
          resultsByPartition: t.partitions.map((p) => ({
            partitionIndex: p,
            partitionErrorCode: fencedFor(
              codes.get(txnPartitionKey(t.name, p)) ?? ErrorCode.NONE,
              ctx.apiVersion,
              2,
            ),
          })),
        }));
      };
      if (ctx.apiVersion <= 3) {
        const results = await one(
          req.v3AndBelowTransactionalId,
          req.v3AndBelowProducerId,
          req.v3AndBelowProducerEpoch,
          false,
          req.v3AndBelowTopics,
        );
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NONE,
          resultsByTransaction: [],
          resultsByTopicV3AndBelow: results,
        };
      }
      const resultsByTransaction = [];
      for (const t of req.transactions)
        resultsByTransaction.push({
          transactionalId: t.transactionalId,
          topicResults: await one(t.transactionalId, t.producerId, t.producerEpoch, t.verifyOnly, t.topics),
        });
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        resultsByTransaction,
        resultsByTopicV3AndBelow: [],
      };
    },
  };

  const addOffsetsToTxn: ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInput> = {
    apiKey: 25,
    name: 'AddOffsetsToTxn',
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      try {
        const partition = await rt.offsetsPartitionFor(req.groupId);
        const codes = await rt
          .coordinator()
          .addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [
            [OFFSETS_TOPIC, partition],
          ]);
        const code = codes.get(txnPartitionKey(OFFSETS_TOPIC, partition)) ?? ErrorCode.NONE;
        return { throttleTimeMs: 0, errorCode: code };
      } catch (err) {
        if (!(err instanceof KafkaError)) ctx.services.logger.error({ err }, 'AddOffsetsToTxn failed');
        return { throttleTimeMs: 0, errorCode: fencedFor(codeOf(err), ctx.apiVersion, 2) };
      }
    },
  };

  const endTxn: ApiHandler<EndTxnRequest, EndTxnResponseInput> = {
    apiKey: 26,
    name: 'EndTxn',
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      try {
        await rt.coordinator().endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: -1, producerEpoch: -1 };
      } catch (err) {
        if (!(err instanceof KafkaError)) ctx.services.logger.error({ err }, 'EndTxn failed');
        return {
          throttleTimeMs: 0,
          errorCode: fencedFor(codeOf(err), ctx.apiVersion, 2),
          producerId: -1,
          producerEpoch: -1,
        };
      }
    },
  };

  const writeTxnMarkers: ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponseInput> = {
    apiKey: 27,
    name: 'WriteTxnMarkers',
    minVersion: 1,
    maxVersion: 1,
    async handle(req) {
      const markers = [];
      for (const m of req.markers) {
        const topics = [];
        for (const t of m.topics) {
          const partitions = [];
          for (const p of t.partitionIndexes) {
            let errorCode: number = ErrorCode.NONE;
            if (!rt.partitionExists(t.name, p)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            else
              try {
                await rt
                  .coordinator()
                  .writeMarker(t.name, p, m.producerId, m.producerEpoch, m.transactionResult);
              } catch (err) {
                errorCode = codeOf(err);
              }
            partitions.push({ partitionIndex: p, errorCode });
          }
          topics.push({ name: t.name, partitions });
        }
        markers.push({ producerId: m.producerId, topics });
      }
      return { markers };
    },
  };

  const txnOffsetCommit: ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponseInput> = {
    apiKey: 28,
    name: 'TxnOffsetCommit',
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      const all = (code: number): TxnOffsetCommitResponseInput => ({
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })),
        })),
      });
      try {
        const coordinator = rt.coordinator();
        if (!coordinator.isLoaded) return all(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
        const m = coordinator.transaction(req.transactionalId);
        if (m === undefined || m.producerId !== req.producerId)
          return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
        if (m.producerEpoch !== req.producerEpoch)
          return all(fencedFor(ErrorCode.PRODUCER_FENCED, ctx.apiVersion, 3));
        const partition = await rt.offsetsPartitionFor(req.groupId);
        if (m.state !== TxnState.Ongoing || !m.partitions.has(txnPartitionKey(OFFSETS_TOPIC, partition)))
          return all(ErrorCode.INVALID_TXN_STATE);
        const invalid = rt.groupCoordinator().validateTransactionalOffsetCommit(req);
        if (invalid !== ErrorCode.NONE) return all(invalid);
        const now = Date.now();
        const records = [];
        const pending = [];
        for (const t of req.topics)
          for (const p of t.partitions) {
            const value: CommittedOffset = {
              offset: p.committedOffset,
              leaderEpoch: p.committedLeaderEpoch,
              metadata: p.committedMetadata ?? '',
              commitTimestamp: now,
              expireTimestamp: -1,
            };
            records.push({
              key: u8(
                encodeOffsetCommitKey({ group: req.groupId, topic: t.name, partition: p.partitionIndex }),
              ),
              value: u8(encodeOffsetCommitValue(value)),
            });
            pending.push({ groupId: req.groupId, topic: t.name, partition: p.partitionIndex, value });
          }
        if (records.length === 0) return all(ErrorCode.NONE);
        const batch = buildBatchSync(records, {
          producerId: req.producerId,
          producerEpoch: req.producerEpoch,
          transactional: true,
        });
        await rt.append(OFFSETS_TOPIC, partition, batch);
        rt.addPendingOffsets(req.producerId, partition, pending);
        return all(ErrorCode.NONE);
      } catch (err) {
        if (!(err instanceof KafkaError)) ctx.services.logger.error({ err }, 'TxnOffsetCommit failed');
        return all(fencedFor(codeOf(err), ctx.apiVersion, 3));
      }
    },
  };

  const describeProducers: ApiHandler<DescribeProducersRequest, DescribeProducersResponseInput> = {
    apiKey: 61,
    name: 'DescribeProducers',
    minVersion: 0,
    maxVersion: 0,
    handle(req, ctx) {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => {
            const state = ctx.services.replicas.partition(t.name, p)
              ? rt.producerStates.get(t.name, p)
              : undefined;
            if (state === undefined)
              return {
                partitionIndex: p,
                errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                errorMessage: null,
                activeProducers: [],
              };
            return {
              partitionIndex: p,
              errorCode: ErrorCode.NONE,
              errorMessage: null,
              activeProducers: [...state.producers()].map((e) => ({
                producerId: e.producerId,
                producerEpoch: e.epoch,
                lastSequence: state.lastSequence(e),
                lastTimestamp: e.lastTimestamp,
                coordinatorEpoch: e.coordinatorEpoch,
                currentTxnStartOffset: e.currentTxnFirstOffset,
              })),
            };
          }),
        })),
      };
    },
  };

  const describeTransactions: ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponseInput> = {
    apiKey: 65,
    name: 'DescribeTransactions',
    minVersion: 0,
    maxVersion: 0,
    handle(req) {
      const coordinator = rt.existingCoordinator();
      return {
        throttleTimeMs: 0,
        transactionStates: req.transactionalIds.map((id) => {
          const none = {
            transactionalId: id,
            transactionState: '',
            transactionTimeoutMs: 0,
            transactionStartTimeMs: -1,
            producerId: -1,
            producerEpoch: -1,
            topics: [],
          };
          if (coordinator !== null && !coordinator.isLoaded)
            return { ...none, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
          const m = coordinator?.transaction(id);
          if (m === undefined) return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
          const byTopic = new Map<string, number[]>();
          for (const k of m.partitions) {
            const [t, p] = splitTxnPartitionKey(k);
            let list = byTopic.get(t);
            if (!list) {
              list = [];
              byTopic.set(t, list);
            }
            list.push(p);
          }
          return {
            errorCode: ErrorCode.NONE,
            transactionalId: id,
            transactionState: TXN_STATE_NAMES[m.state] ?? 'Unknown',
            transactionTimeoutMs: m.timeoutMs,
            transactionStartTimeMs: m.state === TxnState.Ongoing ? m.startTimestamp : -1,
            producerId: m.producerId,
            producerEpoch: m.producerEpoch,
            topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
          };
        }),
      };
    },
  };

  const listTransactions: ApiHandler<ListTransactionsRequest, ListTransactionsResponseInput> = {
    apiKey: 66,
    name: 'ListTransactions',
    minVersion: 0,
    maxVersion: 1,
    handle(req) {
      const known = new Set(Object.values(TXN_STATE_NAMES));
      const unknownStateFilters = req.stateFilters.filter((s) => !known.has(s));
      const states = new Set(req.stateFilters);
      const pids = new Set(req.producerIdFilters);
      const coordinator = rt.existingCoordinator();
      const now = Date.now();
      const transactionStates = [];
      for (const m of coordinator?.transactions() ?? []) {
        const name = TXN_STATE_NAMES[m.state] ?? 'Unknown';
        if (states.size > 0 && !states.has(name)) continue;
        if (pids.size > 0 && !pids.has(m.producerId)) continue;
        if (
          req.durationFilter >= 0 &&
          (m.state !== TxnState.Ongoing || now - m.startTimestamp < req.durationFilter)
        )
          continue;
        transactionStates.push({
          transactionalId: m.transactionalId,
          producerId: m.producerId,
          transactionState: name,
        });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
    },
  };

  return [
    addPartitionsToTxn,
    addOffsetsToTxn,
    endTxn,
    writeTxnMarkers,
    txnOffsetCommit,
    describeProducers,
    describeTransactions,
    listTransactions,
  ];
}
