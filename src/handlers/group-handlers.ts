import type { LazyApi } from './types.js';

/**
 * The group coordinator's APIs (issue #4). Their modules, and through them the group coordinator,
 * load at the first group request: a fresh broker does not pay for them before it listens.
 */
export const groupApis: readonly LazyApi[] = [
  {
    apiKey: 10,
    name: 'FindCoordinator',
    minVersion: 0,
    maxVersion: 6,
    load: () => import('./find-coordinator.js').then((m) => m.findCoordinatorHandler),
  },
  {
    apiKey: 11,
    name: 'JoinGroup',
    minVersion: 0,
    maxVersion: 9,
    load: () => import('./join-group.js').then((m) => m.joinGroupHandler),
  },
  {
    apiKey: 14,
    name: 'SyncGroup',
    minVersion: 0,
    maxVersion: 5,
    load: () => import('./sync-group.js').then((m) => m.syncGroupHandler),
  },
  {
    apiKey: 12,
    name: 'Heartbeat',
    minVersion: 0,
    maxVersion: 4,
    load: () => import('./heartbeat.js').then((m) => m.heartbeatHandler),
  },
  {
    apiKey: 13,
    name: 'LeaveGroup',
    minVersion: 0,
    maxVersion: 5,
    load: () => import('./leave-group.js').then((m) => m.leaveGroupHandler),
  },
  {
    apiKey: 8,
    name: 'OffsetCommit',
    minVersion: 2,
    maxVersion: 9,
    load: () => import('./offset-commit.js').then((m) => m.offsetCommitHandler),
  },
  {
    apiKey: 9,
    name: 'OffsetFetch',
    minVersion: 1,
    maxVersion: 9,
    load: () => import('./offset-fetch.js').then((m) => m.offsetFetchHandler),
  },
  {
    apiKey: 47,
    name: 'OffsetDelete',
    minVersion: 0,
    maxVersion: 0,
    load: () => import('./offset-delete.js').then((m) => m.offsetDeleteHandler),
  },
  {
    apiKey: 16,
    name: 'ListGroups',
    minVersion: 0,
    maxVersion: 5,
    load: () => import('./list-groups.js').then((m) => m.listGroupsHandler),
  },
  {
    apiKey: 15,
    name: 'DescribeGroups',
    minVersion: 0,
    maxVersion: 5,
    load: () => import('./describe-groups.js').then((m) => m.describeGroupsHandler),
  },
  {
    apiKey: 42,
    name: 'DeleteGroups',
    minVersion: 0,
    maxVersion: 2,
    load: () => import('./delete-groups.js').then((m) => m.deleteGroupsHandler),
  },
  {
    apiKey: 68,
    name: 'ConsumerGroupHeartbeat',
    minVersion: 0,
    maxVersion: 1,
    load: () => import('./consumer-group-heartbeat.js').then((m) => m.consumerGroupHeartbeatHandler),
  },
  {
    apiKey: 69,
    name: 'ConsumerGroupDescribe',
    minVersion: 0,
    maxVersion: 0,
    load: () => import('./consumer-group-describe.js').then((m) => m.consumerGroupDescribeHandler),
  },
];
