/**
 * Server-side assignors of the consumer group protocol (KIP-848): the broker computes each
 * member's target partitions. Partitions are keyed by topic id, as on the wire.
 */
export type Partitions = Map<string, Set<number>>;

export interface AssignmentMember {
  memberId: string;
  /** Topic ids the member subscribes to (only topics that exist). */
  subscribed: ReadonlySet<string>;
  /** The member's current target, for stickiness. */
  current: ReadonlyMap<string, ReadonlySet<number>>;
}

export interface AssignmentSpec {
  members: readonly AssignmentMember[];
  /** Topic id → partition count, for every subscribed topic. */
  topics: ReadonlyMap<string, number>;
}

export interface ServerAssignor {
  readonly name: string;
  assign(spec: AssignmentSpec): Map<string, Partitions>;
}

function emptyTarget(spec: AssignmentSpec): Map<string, Partitions> {
  return new Map(spec.members.map((m) => [m.memberId, new Map()]));
}

function give(target: Map<string, Partitions>, memberId: string, topicId: string, partition: number): void {
  const partitions = target.get(memberId);
  if (partitions === undefined) return;
  let set = partitions.get(topicId);
  if (set === undefined) {
    set = new Set();
    partitions.set(topicId, set);
  }
  set.add(partition);
}

/**
 * "uniform": spreads all partitions evenly and moves as few as it can. When every member has the
 * same subscription, each keeps up to its quota (total / members, the remainder going one each
 * to those that already hold more) of what it has, and the rest go to the least loaded. With
 * different subscriptions, each partition goes to its current owner while that owner is among
 * the least loaded of the partition's subscribers, else to the least loaded.
 */
export const uniformAssignor: ServerAssignor = {
  name: 'uniform',
  assign(spec) {
    const target = emptyTarget(spec);
    const members = [...spec.members].sort((a, b) =>
      a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0,
    );
    if (members.length === 0) return target;
    const counts = new Map(members.map((m) => [m.memberId, 0]));
    const taken = new Set<string>();
    const all: [string, number][] = [];
    for (const topicId of [...spec.topics.keys()].sort()) {
      for (let p = 0; p < (spec.topics.get(topicId) ?? 0); p++) all.push([topicId, p]);
    }
    const take = (memberId: string, topicId: string, p: number): void => {
      give(target, memberId, topicId, p);
      counts.set(memberId, (counts.get(memberId) ?? 0) + 1);
      taken.add(`${topicId}:${p}`);
    };
    const first = members[0];
    const homogeneous =
      first !== undefined &&
      members.every(
        (m) =>
          m.subscribed.size === first.subscribed.size &&
          [...m.subscribed].every((t) => first.subscribed.has(t)),
      );
    if (homogeneous && first !== undefined) {
      const eligible = all.filter(([t]) => first.subscribed.has(t));
      const quota = Math.floor(eligible.length / members.length);
      let extra = eligible.length % members.length;
      const held = (m: AssignmentMember) => eligible.filter(([t, p]) => m.current.get(t)?.has(p));
      // Members holding the most keep the extra slots, so fewer partitions move.
      const byHeld = [...members].sort((a, b) => held(b).length - held(a).length);
      for (const m of byHeld) {
        let limit = quota;
        const mine = held(m);
        if (mine.length > quota && extra > 0) {
          limit++;
          extra--;
        }
        for (const [t, p] of mine.slice(0, limit)) if (!taken.has(`${t}:${p}`)) take(m.memberId, t, p);
      }
      for (const [t, p] of eligible) {
        if (taken.has(`${t}:${p}`)) continue;
        let least = members[0];
        for (const m of members)
          if ((counts.get(m.memberId) ?? 0) < (counts.get(least?.memberId ?? '') ?? 0)) least = m;
        if (least !== undefined) take(least.memberId, t, p);
      }
      return target;
    }
    const owner = new Map<string, string>();
    for (const m of members)
      for (const [t, ps] of m.current) for (const p of ps) owner.set(`${t}:${p}`, m.memberId);
    for (const [t, p] of all) {
      const candidates = members.filter((m) => m.subscribed.has(t));
      let least = candidates[0];
      if (least === undefined) continue;
      for (const c of candidates)
        if ((counts.get(c.memberId) ?? 0) < (counts.get(least.memberId) ?? 0)) least = c;
      const min = counts.get(least.memberId) ?? 0;
      const current = owner.get(`${t}:${p}`);
      const keep =
        current !== undefined &&
        candidates.some((c) => c.memberId === current) &&
        (counts.get(current) ?? 0) <= min;
      take(keep && current !== undefined ? current : least.memberId, t, p);
    }
    return target;
  },
};

/** "range": per topic, consecutive ranges of partitions to the subscribers sorted by member id. */
export const rangeAssignor: ServerAssignor = {
  name: 'range',
  assign(spec) {
    const target = emptyTarget(spec);
    for (const [topicId, count] of spec.topics) {
      const subscribers = spec.members
        .filter((m) => m.subscribed.has(topicId))
        .map((m) => m.memberId)
        .sort();
      if (subscribers.length === 0) continue;
      const base = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((memberId, i) => {
        const n = base + (i < extra ? 1 : 0);
        for (let k = 0; k < n; k++) give(target, memberId, topicId, next++);
      });
    }
    return target;
  },
};

export const serverAssignors: ReadonlyMap<string, ServerAssignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);
