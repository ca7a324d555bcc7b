/**
 * The generated countErrors<Response> walkers (Kafka's errorCounts()) and the broker's per-API
 * error counters they feed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerMetrics, METRICS_ERROR_CODE_MAX } from '../../../src/core/metrics.js';
import { ErrorCode } from '../../../src/errors.js';
import { countErrorsAddPartitionsToTxnResponse } from '../../../src/protocol/generated/add-partitions-to-txn-response.js';
import { apiList, type CountErrorsFn } from '../../../src/protocol/generated/apis.js';
import { countErrorsDeleteAclsResponse } from '../../../src/protocol/generated/delete-acls-response.js';
import { countErrorsDescribeUserScramCredentialsResponse } from '../../../src/protocol/generated/describe-user-scram-credentials-response.js';
import { countErrorsFetchResponse } from '../../../src/protocol/generated/fetch-response.js';
import { countErrorsFindCoordinatorResponse } from '../../../src/protocol/generated/find-coordinator-response.js';
import { countErrorsMetadataResponse } from '../../../src/protocol/generated/metadata-response.js';
import { countErrorsOffsetFetchResponse } from '../../../src/protocol/generated/offset-fetch-response.js';
import { countErrorsProduceResponse } from '../../../src/protocol/generated/produce-response.js';
import { messageSchemas } from '../../../src/protocol/generated/schemas.js';
import { countErrorsUnregisterBrokerResponse } from '../../../src/protocol/generated/unregister-broker-response.js';
import { MessageEmitter } from '../../../tools/codegen/emit.js';
import { parseMessage } from '../../../tools/codegen/spec.js';

const { NONE, UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, OFFSET_OUT_OF_RANGE, NOT_COORDINATOR } =
  ErrorCode;

/** The codes a walker reports for `value` at `version`, sorted. */
function codes(walk: CountErrorsFn, v: unknown, version: number): number[] {
  const out: number[] = [];
  walk(v, version, (code) => out.push(code));
  return out.sort((x, y) => x - y);
}

describe('generated error walkers (Kafka errorCounts())', () => {
  it('Produce: one code per partition, NONE included', () => {
    const v = {
      responses: [
        {
          name: 'a',
          partitionResponses: [
            { index: 0, errorCode: NONE },
            { index: 1, errorCode: NOT_LEADER_OR_FOLLOWER },
          ],
        },
        { name: 'b', partitionResponses: [{ index: 0, errorCode: UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    };
    assert.deepEqual(codes(countErrorsProduceResponse, v, 9), [
      NONE,
      UNKNOWN_TOPIC_OR_PARTITION,
      NOT_LEADER_OR_FOLLOWER,
    ]);
  });

  it('Fetch: the top-level code and every partition, the top-level one also where the version lacks it', () => {
    const v = {
      responses: [
        { topic: 't', partitions: [{ partitionIndex: 0, errorCode: OFFSET_OUT_OF_RANGE, records: null }] },
      ],
    };
    // errorCode left out of the object: its default, NONE, as in Kafka's response object.
    assert.deepEqual(codes(countErrorsFetchResponse, v, 12), [NONE, OFFSET_OUT_OF_RANGE]);
    assert.deepEqual(codes(countErrorsFetchResponse, v, 4), [NONE, OFFSET_OUT_OF_RANGE]);
  });

  it('Metadata: topics and their partitions', () => {
    const v = {
      brokers: [],
      topics: [
        { name: 'a', errorCode: NONE, partitions: [{ partitionIndex: 0, errorCode: NONE }] },
        { name: 'b', errorCode: UNKNOWN_TOPIC_OR_PARTITION, partitions: [] },
      ],
    };
    assert.deepEqual(codes(countErrorsMetadataResponse, v, 12), [NONE, NONE, UNKNOWN_TOPIC_OR_PARTITION]);
  });

  it('the version picks the codes on the wire: FindCoordinator, OffsetFetch, AddPartitionsToTxn', () => {
    const fc = {
      errorCode: NONE,
      coordinators: [
        { key: 'g1', errorCode: NOT_COORDINATOR },
        { key: 'g2', errorCode: NONE },
      ],
    };
    assert.deepEqual(codes(countErrorsFindCoordinatorResponse, fc, 3), [NONE]);
    assert.deepEqual(codes(countErrorsFindCoordinatorResponse, fc, 4), [NONE, NOT_COORDINATOR]);

    const of = {
      errorCode: NOT_COORDINATOR,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: NONE }] }],
      groups: [
        {
          groupId: 'g',
          errorCode: NONE,
          topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: UNKNOWN_TOPIC_OR_PARTITION }] }],
        },
      ],
    };
    assert.deepEqual(codes(countErrorsOffsetFetchResponse, of, 7), [NONE, NOT_COORDINATOR]);
    // v0-1 have no top-level code on the wire; Kafka counts it all the same.
    assert.deepEqual(codes(countErrorsOffsetFetchResponse, of, 1), [NONE, NOT_COORDINATOR]);
    assert.deepEqual(codes(countErrorsOffsetFetchResponse, of, 8), [NONE, UNKNOWN_TOPIC_OR_PARTITION]);

    const partitions = [{ partitionIndex: 0, partitionErrorCode: NOT_COORDINATOR }];
    const ap = {
      errorCode: NONE,
      resultsByTopicV3AndBelow: [{ name: 't', resultsByPartition: partitions }],
      resultsByTransaction: [
        { transactionalId: 'x', topicResults: [{ name: 't', resultsByPartition: partitions }] },
      ],
    };
    assert.deepEqual(codes(countErrorsAddPartitionsToTxnResponse, ap, 3), [NOT_COORDINATOR]);
    assert.deepEqual(codes(countErrorsAddPartitionsToTxnResponse, ap, 4), [NONE, NOT_COORDINATOR]);
  });

  it("follows Kafka's overrides: DeleteAcls, DescribeUserScramCredentials, UnregisterBroker", () => {
    const da = {
      filterResults: [
        { errorCode: NONE, matchingAcls: [{ errorCode: ErrorCode.SECURITY_DISABLED }] },
        { errorCode: ErrorCode.SECURITY_DISABLED, matchingAcls: [] },
      ],
    };
    assert.deepEqual(codes(countErrorsDeleteAclsResponse, da, 3), [NONE, ErrorCode.SECURITY_DISABLED]);
    const ds = { errorCode: NOT_COORDINATOR, results: [{ user: 'u', errorCode: NONE, credentialInfos: [] }] };
    assert.deepEqual(codes(countErrorsDescribeUserScramCredentialsResponse, ds, 0), [NONE]);
    assert.deepEqual(codes(countErrorsUnregisterBrokerResponse, { errorCode: NONE }, 0), []);
    assert.deepEqual(codes(countErrorsUnregisterBrokerResponse, { errorCode: NOT_COORDINATOR }, 0), [
      NOT_COORDINATOR,
    ]);
  });

  it('every API has a walker, and it takes the default response at every version', () => {
    for (const api of apiList) {
      const schema = messageSchemas.find((s) => s.kind === 'response' && s.apiKey === api.apiKey)!;
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        const seen: number[] = [];
        api.countResponseErrors(schema.createDefault(), v, (code) => seen.push(code));
        for (const code of seen) assert.equal(code, NONE, `${api.name} v${v}`);
      }
    }
  });

  it('the generator refuses a rule naming a field the definition lacks', () => {
    // DeleteAclsResponse's rule names FilterResults.MatchingAcls.ErrorCode; this one has no such field.
    const m = parseMessage(
      'DeleteAclsResponse.json',
      JSON.stringify({
        apiKey: 31,
        type: 'response',
        name: 'DeleteAclsResponse',
        validVersions: '0',
        fields: [{ name: 'ErrorCode', type: 'int16', versions: '0+' }],
      }),
    );
    assert.throws(() => new MessageEmitter(m).emitModule(), /FilterResults\.MatchingAcls\.ErrorCode/);
  });
});

describe('BrokerMetrics: error counters', () => {
  it('counts by api key and code; codes Kafka cannot have count as UNKNOWN_SERVER_ERROR', () => {
    const m = new BrokerMetrics();
    const walk = (response: unknown, _version: number, count: (code: number) => void) => {
      for (const c of response as number[]) count(c);
    };
    m.observeRequest(0, 1, [NONE, NONE, NOT_LEADER_OR_FOLLOWER, METRICS_ERROR_CODE_MAX + 1, -2], 9, walk);
    m.observeRequest(0, 1); // acks=0: no response, nothing counted
    const row = m.errors[0]!;
    // A code left undefined goes on the wire as 0, and is counted as NONE.
    m.observeRequest(0, 1, [undefined], 9, walk);
    assert.equal(row[NONE + 1], 3);
    assert.equal(row[NOT_LEADER_OR_FOLLOWER + 1], 1);
    assert.equal(row[ErrorCode.UNKNOWN_SERVER_ERROR + 1], 2);
    assert.equal(m.requests[0], 3);
    assert.equal(m.errors[1], undefined);
  });
});
