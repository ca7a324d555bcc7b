import type { Logger } from '../core/log.js';
import { ErrorCode, errorCodeOf, KafkaError } from '../errors.js';
import { DecodeError } from '../protocol/errors.js';
import {
  ApiKey,
  type ApiCodecs,
  type ApiMeta,
  apiMetaByKey,
  loadApiCodecs,
  loadedApiCodecs,
} from '../protocol/generated/api-meta.js';
import { decodeRequestHeader } from '../protocol/generated/request-header.js';
import { Reader } from '../protocol/reader.js';
import { type Int32Slot, Writer } from '../protocol/writer.js';
import { type ApiHandler, type BrokerServices, NO_RESPONSE, type RequestContext } from '../handlers/types.js';
import { API_VERSIONS_KEY, apiVersionsErrorBody } from '../handlers/api-versions.js';
import { CloseConnection, type Connection, type FrameDispatcher } from './connection.js';

/** Bytes every request header starts with: apiKey int16, apiVersion int16, correlationId int32. */
const HEADER_FIXED_BYTES = 8;
/** First buffer of a response Writer before an API has answered (it grows by doubling; records go by reference). */
const RESPONSE_WRITER_INITIAL_BYTES = 512;
/** Smallest and largest first buffer sized from an API's previous response. */
const RESPONSE_WRITER_MIN_BYTES = 64;
const RESPONSE_WRITER_MAX_BYTES = 2048;

/**
 * The first buffer for an API's next response: its previous response's size rounded up to a power
 * of two. Produce answers are ~70 bytes: a 128-byte slice of Node's 8 KiB buffer pool instead of
 * 512 means a new pool every 64 responses, not every 16.
 */
function writerBytesFor(previous: number | undefined): number {
  if (previous === undefined) return RESPONSE_WRITER_INITIAL_BYTES;
  let size = RESPONSE_WRITER_MIN_BYTES;
  while (size < previous && size < RESPONSE_WRITER_MAX_BYTES) size *= 2;
  return size;
}

/**
 * Turns a request frame into response chunks: header → handler lookup → version check →
 * body decode → handler → response header + body encode. What Kafka 4.0 does for requests it
 * cannot serve is kept: an unknown api key or an unsupported version closes the connection
 * (Kafka's InvalidRequestException path in SocketServer), except ApiVersions, which answers
 * UNSUPPORTED_VERSION in a v0 response carrying its own supported range.
 */
export function createDispatcher(
  handlers: ReadonlyMap<number, ApiHandler>,
  services: BrokerServices,
  log: Logger,
): FrameDispatcher {
  let loadGate: Promise<void> | null = null;
  /** Size of each API's last response, by api key (at most one entry per handler). */
  const lastResponseBytes: number[] = [];
  const dispatch: FrameDispatcher = (frame: Buffer, conn: Connection) => {
    if (frame.length < HEADER_FIXED_BYTES) {
      throw new CloseConnection(`request of ${frame.length} bytes is shorter than a request header`);
    }
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const started = performance.now();
    const handler = handlers.get(apiKey);
    const meta: ApiMeta | undefined = handler ? apiMetaByKey(apiKey) : undefined;
    if (!handler || !meta) throw new CloseConnection(`unknown api key ${apiKey} (version ${apiVersion})`);
    // Codec modules load on an API's first request (or earlier, from warmCodecs). While one loads,
    // every request queues behind it, so requests still reach their handlers in arrival order.
    if (loadGate !== null) return loadGate.then(() => dispatch(frame, conn));
    const codec: ApiCodecs | undefined = loadedApiCodecs(apiKey);
    if (codec === undefined) {
      const gate: Promise<void> = loadApiCodecs(apiKey)!.then(
        () => {
          if (loadGate === gate) loadGate = null;
        },
        (err: unknown) => {
          if (loadGate === gate) loadGate = null;
          log.error({ err, api: handler.name }, 'cannot load the codecs');
        },
      );
      loadGate = gate;
      return gate.then(() => {
        if (loadedApiCodecs(apiKey) === undefined) throw new CloseConnection(`no codecs for ${handler.name}`);
        return dispatch(frame, conn);
      });
    }
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS_KEY) {
        // Kafka answers with a v0 body and a v0 header, whatever version was asked for.
        const w = new Writer(64);
        const size = w.reserveInt32();
        w.int32(correlationId);
        const answer = apiVersionsErrorBody(handler);
        // Counted like any answered request: Kafka's metrics show these UNSUPPORTED_VERSION answers.
        services.metrics.observeRequest(
          apiKey,
          performance.now() - started,
          answer,
          0,
          codec.countResponseErrors,
        );
        codec.encodeResponse(w, answer, 0);
        return finishFrame(w, size);
      }
      throw new CloseConnection(
        `api key ${apiKey} (${handler.name}) version ${apiVersion} is not in ${handler.minVersion}-${handler.maxVersion}`,
      );
    }
    const headerVersion = meta.requestHeaderVersions[apiVersion]!;
    const responseHeaderVersion = meta.responseHeaderVersions[apiVersion]!;
    const reader = new Reader(frame);
    let body: unknown;
    let clientId: string | null;
    try {
      clientId = readClientId(reader, frame, headerVersion, conn);
      body = codec.decodeRequest(reader, apiVersion);
    } catch (err) {
      if (err instanceof DecodeError || err instanceof RangeError) {
        throw new CloseConnection(`cannot parse ${handler.name} v${apiVersion} request: ${err.message}`);
      }
      throw err;
    }
    const ctx: RequestContext = {
      apiKey,
      apiVersion,
      correlationId,
      clientId,
      connectionId: conn.id,
      clientAddress: conn.remote,
      listenerName: conn.listenerName,
      services,
    };
    const encode = (result: unknown): Buffer[] | null => {
      if (result === NO_RESPONSE) {
        // acks=0: no response, so no error codes (Kafka counts none either).
        services.metrics.observeRequest(apiKey, performance.now() - started);
        return null;
      }
      // Counts the error codes of the response object the handler built (nothing decoded again).
      services.metrics.observeRequest(
        apiKey,
        performance.now() - started,
        result,
        apiVersion,
        codec.countResponseErrors,
      );
      // Most responses are small: a first buffer under half of Buffer.poolSize is a slice of Node's
      // shared pool, where the default 4 KiB would be a fresh ArrayBuffer per response (GC).
      // Sized from the API's previous response.
      const w = new Writer(writerBytesFor(lastResponseBytes[apiKey]));
      const size = w.reserveInt32();
      w.int32(correlationId);
      // Header v1 adds tagged fields (none); ApiVersions always answers with v0 (the table knows).
      if (responseHeaderVersion >= 1) w.uvarint(0);
      codec.encodeResponse(w, result, apiVersion);
      lastResponseBytes[apiKey] = w.length;
      return finishFrame(w, size);
    };
    const onError = (err: unknown): Buffer[] | null => {
      // A handler asking to close the connection (Produce acks=0 that failed) gets no error response.
      if (handler.errorResponse && !(err instanceof CloseConnection)) {
        const code = errorCodeOf(err);
        if (!(err instanceof KafkaError)) {
          log.error({ err, api: handler.name, version: apiVersion, connection: conn.id }, 'request failed');
        }
        return encode(
          handler.errorResponse(body, code === ErrorCode.NONE ? ErrorCode.UNKNOWN_SERVER_ERROR : code, ctx),
        );
      }
      throw err;
    };
    let result: unknown;
    try {
      result = handler.handle(body, ctx);
    } catch (err) {
      return onError(err);
    }
    if (result instanceof Promise) return result.then(encode, onError);
    return encode(result);
  };
  return dispatch;
}

/** Longest client id a connection keeps as bytes to compare (longer ones are decoded every time). */
const CLIENT_ID_CACHE_MAX_BYTES = 256;
/** Where a request header's client id starts (after apiKey, apiVersion, correlationId and its int16 length). */
const CLIENT_ID_OFFSET = HEADER_FIXED_BYTES + 2;

/**
 * Reads the request header and returns its client id, leaving `reader` at the body. A client id
 * equal byte for byte to the connection's previous one is not decoded again (one string less per
 * request); the header's tagged fields carry nothing the broker reads.
 */
function readClientId(reader: Reader, frame: Buffer, headerVersion: number, conn: Connection): string | null {
  const cached = conn.clientIdCache;
  if (headerVersion >= 1 && cached != null && frame.length >= CLIENT_ID_OFFSET) {
    const bytes = cached.bytes;
    const len = bytes.length;
    if (frame.readInt16BE(HEADER_FIXED_BYTES) === len && CLIENT_ID_OFFSET + len <= frame.length) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (frame[CLIENT_ID_OFFSET + i] !== bytes[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        reader.skip(CLIENT_ID_OFFSET + len, 'clientId');
        if (headerVersion >= 2) reader.unknownTaggedFields();
        return cached.value;
      }
    }
  }
  const clientId = decodeRequestHeader(reader, headerVersion).clientId;
  if (clientId !== null && headerVersion >= 1) {
    const len = frame.readInt16BE(HEADER_FIXED_BYTES);
    // A copy: a view would keep the whole socket chunk the frame came in alive.
    if (len <= CLIENT_ID_CACHE_MAX_BYTES)
      conn.clientIdCache = {
        bytes: Buffer.from(frame.subarray(CLIENT_ID_OFFSET, CLIENT_ID_OFFSET + len)),
        value: clientId,
      };
  }
  return clientId;
}

/** APIs nearly every client calls first; their codecs are worth loading before they are asked for. */
export const COMMON_API_KEYS: readonly number[] = [
  ApiKey.ApiVersions,
  ApiKey.Metadata,
  ApiKey.Produce,
  ApiKey.Fetch,
  ApiKey.ListOffsets,
  ApiKey.FindCoordinator,
  ApiKey.InitProducerId,
  ApiKey.OffsetCommit,
  ApiKey.OffsetFetch,
  ApiKey.JoinGroup,
  ApiKey.SyncGroup,
  ApiKey.Heartbeat,
  ApiKey.LeaveGroup,
  ApiKey.CreateTopics,
];

/**
 * Loads the codec modules of `apiKeys` one after the other, each in its own turn of the event
 * loop, so a request that arrives meanwhile is not held up behind all of them. Never rejects.
 */
export function warmCodecs(apiKeys: readonly number[] = COMMON_API_KEYS): Promise<void> {
  return apiKeys.reduce<Promise<unknown>>(
    (prev, key) =>
      prev
        .then(() => new Promise((res) => setImmediate(res)))
        .then(() => loadApiCodecs(key)?.catch(() => {})),
    Promise.resolve(),
  ) as Promise<unknown> as Promise<void>;
}

/**
 * A response frame's chunks, size prefix included: the prefix is a slot reserved in the Writer's
 * first buffer, so the connection writes the chunks as they are, with no allocation per response.
 */
function finishFrame(w: Writer, size: Int32Slot): Buffer[] {
  w.patchInt32(size, w.length - 4);
  return w.finish();
}
