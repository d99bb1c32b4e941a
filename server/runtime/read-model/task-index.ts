import type { TaskDoc } from '../../db/types.js';
import { actorGroupKeys } from '../../org/scoping.js';

/** What the inbox needs to select and order an open task; the rest of the record is read by `_id`. */
export interface IndexedTask {
  id: string;
  instanceId: string;
  /** Milliseconds since the epoch: inbox order is `createdAt` descending, then `_id` descending. */
  createdAt: number;
  groups: readonly string[];
  users: readonly string[];
  assignee: string | null;
  processKey: string;
  businessKey: string | null;
  /** Users the task is not offered to (they did another iteration of a step that needs different people). */
  excluded: readonly string[];
  /** Signers added to it (加签), signed or not. */
  cosigners: readonly string[];
}

export type TaskFields = Pick<TaskDoc, '_id' | 'instanceId' | 'createdAt' | 'candidateGroups' | 'candidateUsers' | 'assignee' | 'processKey' | 'businessKey' | 'excludedUsers' | 'cosigners'>;

/** The projection that reads {@link TaskFields} from the task collection. */
export const TASK_FIELDS_PROJECTION = {
  _id: 1,
  instanceId: 1,
  createdAt: 1,
  candidateGroups: 1,
  candidateUsers: 1,
  assignee: 1,
  processKey: 1,
  businessKey: 1,
  excludedUsers: 1,
  cosigners: 1,
} as const;

export interface TaskFilter {
  /** `signer`: tasks the actor was added to as a signer (加签), signed or not. */
  scope: 'mine' | 'candidate' | 'signer' | 'all';
  /** Matched by its roles in its unit (server/org/scoping.ts). */
  actor: { id: string; groups: readonly string[]; unitId?: string | null };
  processKey?: string;
  businessKey?: string;
}

/**
 * The open tasks of every instance, in memory, in inbox order (the embedded read side, memory.ts). FerretDB 1.24's
 * SQLite backend answers any query but `{_id: …}` by decoding the whole collection, so the inbox cannot be a query
 * there: the server keeps this index and reads only the page it shows, by `_id`.
 *
 * It holds a few small fields per task; the strings and arrays every task of a step shares (groups, process keys)
 * are interned, so 100,000 open tasks take a few tens of megabytes.
 */
export class OpenTaskIndex {
  private readonly byId = new Map<string, IndexedTask>();
  /** Ascending by (createdAt, id); pages are read from the end. */
  private readonly ordered: IndexedTask[] = [];
  private readonly interned = new Map<string, string>();
  private readonly internedLists = new Map<string, readonly string[]>();

  get(id: string): IndexedTask | undefined {
    return this.byId.get(id);
  }

  clear(): void {
    this.byId.clear();
    this.ordered.length = 0;
  }

  /** Adds an open task; a task already present keeps its entry (task records are written once, then updated). */
  add(task: TaskFields): void {
    if (this.byId.has(task._id)) return;
    const entry = this.entryOf(task);
    this.byId.set(entry.id, entry);
    this.ordered.splice(this.insertionPoint(entry.createdAt, entry.id), 0, entry);
  }

  /** Loads many tasks at once (start-up): one sort instead of one insertion each. */
  load(tasks: Iterable<TaskFields>): void {
    const before = this.ordered.length;
    for (const task of tasks) {
      if (this.byId.has(task._id)) continue;
      const entry = this.entryOf(task);
      this.byId.set(entry.id, entry);
      this.ordered.push(entry);
    }
    if (this.ordered.length !== before) this.ordered.sort(compare);
  }

  remove(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    const at = this.insertionPoint(entry.createdAt, entry.id) - 1;
    if (this.ordered[at] === entry) this.ordered.splice(at, 1);
    else this.ordered.splice(this.ordered.indexOf(entry), 1);
  }

  exclude(id: string, user: string): void {
    const entry = this.byId.get(id);
    if (entry && !entry.excluded.includes(user)) entry.excluded = [...entry.excluded, user];
  }

  assign(id: string, assignee: string | null, cosigners?: readonly string[]): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    entry.assignee = assignee ? this.string(assignee) : null;
    if (cosigners) entry.cosigners = cosigners.length ? [...cosigners] : NOBODY;
  }

  /** Newest first, after the `before` cursor if given. */
  page(filter: TaskFilter, limit: number, before?: { createdAt: Date; id: string }): IndexedTask[] {
    const matches = matcher(filter);
    const out: IndexedTask[] = [];
    let i = before ? this.insertionPoint(new Date(before.createdAt).getTime(), before.id, true) - 1 : this.ordered.length - 1;
    for (; i >= 0 && out.length < limit; i--) {
      const entry = this.ordered[i]!;
      if (matches(entry)) out.push(entry);
    }
    return out;
  }

  count(filter: TaskFilter): number {
    const matches = matcher(filter);
    let n = 0;
    for (const entry of this.ordered) if (matches(entry)) n++;
    return n;
  }

  /**
   * Index in `ordered` where (createdAt, id) belongs: after every entry that sorts before it, and — unless `strict`
   * — after an equal entry too.
   */
  private insertionPoint(createdAt: number, id: string, strict = false): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareKey(this.ordered[mid]!, createdAt, id);
      if (c < 0 || (!strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private entryOf(task: TaskFields): IndexedTask {
    return {
      id: task._id,
      instanceId: task.instanceId,
      createdAt: new Date(task.createdAt).getTime(),
      groups: this.list(task.candidateGroups),
      users: this.list(task.candidateUsers),
      assignee: task.assignee ? this.string(task.assignee) : null,
      processKey: this.string(task.processKey),
      businessKey: task.businessKey ?? null,
      excluded: task.excludedUsers?.length ? [...task.excludedUsers] : NOBODY,
      cosigners: task.cosigners?.length ? [...task.cosigners] : NOBODY,
    };
  }

  private string(value: string): string {
    const known = this.interned.get(value);
    if (known !== undefined) return known;
    this.interned.set(value, value);
    return value;
  }

  private list(values: readonly string[] | null | undefined): readonly string[] {
    const list = values ?? [];
    const key = list.join('\u0000');
    const known = this.internedLists.get(key);
    if (known && known.length === list.length) return known;
    const frozen = Object.freeze(list.map((v) => this.string(v)));
    this.internedLists.set(key, frozen);
    return frozen;
  }
}

function matcher(filter: TaskFilter): (entry: IndexedTask) => boolean {
  const { actor, processKey, businessKey } = filter;
  const groups = new Set(actorGroupKeys(actor));
  const scoped =
    filter.scope === 'mine'
      ? (e: IndexedTask) => e.assignee === actor.id
      : filter.scope === 'candidate'
        ? (e: IndexedTask) =>
            e.assignee === null && (e.users.includes(actor.id) || e.groups.some((g) => groups.has(g))) && !e.excluded.includes(actor.id)
        : filter.scope === 'signer'
          ? (e: IndexedTask) => e.cosigners.includes(actor.id)
          : () => true;
  if (processKey === undefined && businessKey === undefined) return scoped;
  return (e) => scoped(e) && (processKey === undefined || e.processKey === processKey) && (businessKey === undefined || e.businessKey === businessKey);
}

const NOBODY: readonly string[] = Object.freeze([]);

function compareKey(entry: IndexedTask, createdAt: number, id: string): number {
  if (entry.createdAt !== createdAt) return entry.createdAt < createdAt ? -1 : 1;
  return entry.id < id ? -1 : entry.id > id ? 1 : 0;
}

function compare(a: IndexedTask, b: IndexedTask): number {
  return compareKey(a, b.createdAt, b.id);
}
