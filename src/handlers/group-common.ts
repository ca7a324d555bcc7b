import type { GroupCoordinator } from '../group/coordinator.js';
import { groupRuntime } from '../group/offsets-topic.js';
import type { RequestContext } from './types.js';

/** The broker's group coordinator (created and loading on first use). */
export function coordinatorOf(ctx: RequestContext): GroupCoordinator {
  return groupRuntime(ctx.services).coordinator;
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Kafka reports a member's host as "/<ip>" (Java's InetAddress.toString). */
export function clientHostOf(ctx: RequestContext): string {
  const addr = ctx.clientAddress;
  const colon = addr.lastIndexOf(':');
  const host = colon > 0 ? addr.slice(0, colon) : addr;
  return `/${host.replace(/^\[|\]$/g, '')}`;
}
