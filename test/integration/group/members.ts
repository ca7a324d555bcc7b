import { type ChildProcess, spawn } from 'node:child_process';

/** Upper bound for a condition to come true; reaching it fails the test (it never measures speed). */
export const WAIT_MAX_MS = 30_000;

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MAX_MS;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a group member reported: its latest assignment, how often it was assigned, what it consumed. */
export interface Member {
  name: string;
  assignment: number[];
  assignments: number;
  values: string[];
}

export function newMember(name: string): Member {
  return { name, assignment: [], assignments: 0, values: [] };
}

/**
 * A group member in its own process (any client), so a test can stop it (SIGTERM: the client
 * leaves the group) or kill it (SIGKILL: no LeaveGroup). The process prints JSON lines:
 * {"event":"join","assignment":[...]} and {"event":"message","value":"..."}.
 */
export function spawnMember(
  name: string,
  command: string,
  args: string[],
): { child: ChildProcess; member: Member; stderr: string[] } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const member = newMember(name);
  const stderr: string[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let e: { event?: string; assignment?: number[]; value?: string };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        continue;
      }
      if (e.event === 'join') {
        member.assignment = [...(e.assignment ?? [])].sort((x, y) => x - y);
        member.assignments++;
      } else if (e.event === 'message') {
        member.values.push(e.value ?? '');
      }
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 200) stderr.push(chunk);
  });
  return { child, member, stderr };
}

export function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** How often each of `values` was consumed across `members`. */
export function countOf(members: Member[], values: string[]): Map<string, number> {
  const wanted = new Set(values);
  const counts = new Map<string, number>();
  for (const m of members)
    for (const v of m.values) if (wanted.has(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
