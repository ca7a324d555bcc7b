import { statfsSync } from 'node:fs';
import { ErrorCode } from '../errors.js';
import type { DescribeLogDirsRequest } from '../protocol/generated/describe-log-dirs-request.js';
import type { DescribeLogDirsResponseInput } from '../protocol/generated/describe-log-dirs-response.js';
import type { ApiHandler } from './types.js';

export const describeLogDirsHandler: ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponseInput> = {
  apiKey: 35,
  name: 'DescribeLogDirs',
  minVersion: 1,
  maxVersion: 4,
  handle(request, ctx) {
    const { replicas, config } = ctx.services;
    const dir = config.logDirs()[0]!;
    const wanted =
      request.topics === null ? null : new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]));
    const byTopic = new Map<
      string,
      { partitionIndex: number; partitionSize: number; offsetLag: number; isFutureKey: boolean }[]
    >();
    for (const p of replicas.partitions()) {
      if (wanted && !wanted.get(p.topic)?.has(p.partition)) continue;
      let list = byTopic.get(p.topic);
      if (!list) {
        list = [];
        byTopic.set(p.topic, list);
      }
      list.push({
        partitionIndex: p.partition,
        partitionSize: p.log.sizeInBytes,
        offsetLag: 0,
        isFutureKey: false,
      });
    }
    let totalBytes = -1;
    let usableBytes = -1;
    try {
      const s = statfsSync(dir);
      totalBytes = s.blocks * s.bsize;
      usableBytes = s.bavail * s.bsize;
    } catch {
      // Sizes stay unknown (-1) when the file system cannot say.
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [
        {
          errorCode: ErrorCode.NONE,
          logDir: dir,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          totalBytes,
          usableBytes,
        },
      ],
    };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
};
