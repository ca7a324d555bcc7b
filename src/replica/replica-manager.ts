/**
 * The broker's partitions (each a replica set, of one on a single node) and the fetch
 * purgatory. The storage-backed implementation lands with the storage engine's Log API.
 */
export class ReplicaManager {}
