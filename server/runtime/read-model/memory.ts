import type { Collections } from '../../db/collections.js';
import type { OutboxOp, TaskDoc } from '../../db/types.js';
import type { InstanceQuery } from '../api.js';
import type { Instance } from '../instance-store.js';
import { LIST_PROJECTION, type InstanceCount, type InstanceListItem, type ReadModel } from './read-model.js';
import { OpenTaskIndex, TASK_FIELDS_PROJECTION, type TaskFields, type TaskFilter } from './task-index.js';

/** An instance's list row, with its start time in ms for ordering; one per instance. */
type Summary = InstanceListItem & { at: number };

/** Open task records kept whole (most recently created or listed), so that inbox pages and steps read none. */
const KEPT_RECORDS = 5000;


/**
 * The embedded read side: this server is the only one on its database (server/runtime/owner-lease.ts), so the open
 * tasks, every instance's summary and the due timers live in its memory — filled by one scan of the tasks and
 * instances at start-up, then changed by its own steps as their writes land. Pages show records read by `_id`.
 */
export class MemoryReadModel implements ReadModel {
  readonly strategy = 'embedded' as const;
  private readonly tasks = new OpenTaskIndex();
  /** Records of open tasks, least recently used first; a closed task leaves at once. */
  private readonly records = new Map<string, TaskDoc>();
  private readonly summaries = new Map<string, Summary>();
  /** Tasks the start-up scan found submitted for 后加签. */
  private held: string[] = [];
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, string[]>();
  /** Ascending by (startedAt, id): lists are read from the end. */
  private readonly ordered: Summary[] = [];

  constructor(private readonly collections: Pick<Collections, 'tasks' | 'instances'>) {}

  async open(): Promise<void> {
    // What recovery's steps reported is in what the scan reads.
    this.held = [];
    this.tasks.clear();
    this.records.clear();
    this.summaries.clear();
    this.ordered.length = 0;
    // The two scans overlap: FerretDB decodes every document of both collections, on its own threads.
    const open: TaskFields[] = [];
    await Promise.all([
      (async () => {
        for await (const task of this.collections.tasks.find({ status: 'open' }, { projection: { ...TASK_FIELDS_PROJECTION, 'held.by': 1 } })) {
          open.push(task as TaskFields);
          if ((task as TaskDoc).held) this.held.push(task._id);
        }
      })(),
      (async () => {
        for await (const doc of this.collections.instances.find({}, { projection: LIST_PROJECTION })) {
          const summary = this.summaryOf(doc as unknown as Instance);
          this.summaries.set(summary._id, summary);
          this.ordered.push(summary);
        }
      })(),
    ]);
    this.tasks.load(open);
    this.ordered.sort(compare);
  }

  applied(instance: Instance, outbox: OutboxOp[]): void {
    for (const op of outbox) {
      if (op.op === 'upsertTask' && op.task.status === 'open') {
        this.tasks.add(op.task);
        this.keep(op.task);
      } else if (op.op === 'closeTasks') {
        for (const id of op.taskIds) {
          this.tasks.remove(id);
          this.records.delete(id);
        }
      } else if (op.op === 'excludePerformer') {
        for (const id of op.taskIds) {
          this.tasks.exclude(id, op.user);
          const kept = this.records.get(id);
          if (kept) this.records.set(id, { ...kept, excludedUsers: [...new Set([...(kept.excludedUsers ?? []), op.user])] });
        }
      } else if (op.op === 'assignTask') {
        this.tasks.assign(op.taskId, op.assignee, op.cosigners);
        const kept = this.records.get(op.taskId);
        if (kept) {
          this.records.set(op.taskId, {
            ...kept,
            assignee: op.assignee,
            assignRev: op.rev,
            ...(op.owner !== undefined ? { owner: op.owner } : {}),
            ...(op.cosigners ? { cosigners: op.cosigners } : {}),
            ...(op.held !== undefined ? { held: op.held } : {}),
          });
        }
      }
    }
    const known = this.summaries.get(instance._id);
    if (known) {
      // Only these change after the start; the row is changed in place (its position depends on the start alone).
      Object.assign(known, {
        status: instance.status,
        activeElements: this.internList(instance.activeElements ?? []),
        nextTimerAt: instance.nextTimerAt ?? null,
        incident: instance.incident ?? null,
        updatedAt: instance.updatedAt,
        endedAt: instance.endedAt ?? null,
      });
      return;
    }
    const summary = this.summaryOf(instance);
    this.summaries.set(summary._id, summary);
    this.ordered.splice(insertionPoint(this.ordered, summary), 0, summary);
  }

  /** A list row; the strings many rows share (process keys and names, starters) are kept once. */
  private summaryOf(doc: Instance): Summary {
    return {
      _id: doc._id,
      processKey: this.intern(doc.processKey),
      processName: doc.processName === null || doc.processName === undefined ? null : this.intern(doc.processName),
      version: doc.version,
      businessKey: doc.businessKey ?? null,
      status: doc.status,
      activeElements: this.internList(doc.activeElements ?? []),
      nextTimerAt: doc.nextTimerAt ?? null,
      incident: doc.incident ?? null,
      startedBy: doc.startedBy === null || doc.startedBy === undefined ? null : this.intern(doc.startedBy),
      unitId: doc.unitId ? this.intern(doc.unitId) : null,
      unitPath: this.internList(doc.unitPath ?? []),
      startedAt: doc.startedAt,
      updatedAt: doc.updatedAt,
      endedAt: doc.endedAt ?? null,
      at: new Date(doc.startedAt).getTime(),
    };
  }

  /** Most instances wait at one of a few element lists: each distinct list is kept once. */
  private internList(values: string[]): string[] {
    const key = values.join('\u0000');
    const known = this.lists.get(key);
    if (known) return known;
    const list = Object.freeze(values.map((v) => this.intern(v))) as string[];
    this.lists.set(key, list);
    return list;
  }

  private intern(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    this.strings.set(value, value);
    return value;
  }

  async openTasks(filter: TaskFilter, limit: number, before?: { createdAt: Date; id: string }): Promise<TaskDoc[]> {
    const page = this.tasks.page(filter, limit, before);
    const records = await Promise.all(page.map((entry) => this.openTask(entry.id) ?? this.collections.tasks.findOne({ _id: entry.id })));
    // The index says who holds a task (a claim lands in it with the step); a record closed meanwhile is left out.
    return records.flatMap((task, i) => {
      if (!task || task.status !== 'open' || !this.tasks.get(task._id)) return [];
      this.keep(task);
      return [{ ...task, assignee: page[i]!.assignee }];
    });
  }

  openTask(taskId: string): TaskDoc | undefined {
    const kept = this.records.get(taskId);
    if (!kept) return undefined;
    this.records.delete(taskId);
    this.records.set(taskId, kept);
    return kept;
  }

  private keep(task: TaskDoc): void {
    const { formSchema: _form, ...record } = task;
    this.records.delete(task._id);
    this.records.set(task._id, record as TaskDoc);
    if (this.records.size > KEPT_RECORDS) this.records.delete(this.records.keys().next().value!);
  }

  async countOpenTasks(filter: TaskFilter): Promise<number> {
    return this.tasks.count(filter);
  }

  async listInstances(query: InstanceQuery, limit: number, skip: number): Promise<{ items: InstanceListItem[]; total: number }> {
    const matches = instanceMatcher(query);
    const items: InstanceListItem[] = [];
    let total = 0;
    for (let i = this.ordered.length - 1; i >= 0; i--) {
      const summary = this.ordered[i]!;
      if (!matches(summary)) continue;
      if (total >= skip && items.length < limit) {
        const { at: _at, ...row } = summary;
        items.push(row);
      }
      total++;
    }
    return { items, total };
  }

  async countInstances(): Promise<InstanceCount[]> {
    const counts = new Map<string, InstanceCount>();
    for (const s of this.summaries.values()) {
      const key = `${s.processKey}\u0000${s.version}\u0000${s.status}`;
      const entry = counts.get(key);
      if (entry) entry.count++;
      else counts.set(key, { processKey: s.processKey, version: s.version, status: s.status, count: 1 });
    }
    return [...counts.values()];
  }

  async heldSubmissions(): Promise<string[]> {
    return [...this.held];
  }

  async dueTimers(now: Date, limit: number): Promise<string[]> {
    const due: Summary[] = [];
    const at = now.getTime();
    for (const s of this.summaries.values()) {
      if (s.nextTimerAt && new Date(s.nextTimerAt).getTime() <= at && (s.status === 'running' || s.status === 'incident')) due.push(s);
    }
    return due
      .sort((a, b) => new Date(a.nextTimerAt!).getTime() - new Date(b.nextTimerAt!).getTime())
      .slice(0, limit)
      .map((s) => s._id);
  }
}

function instanceMatcher(query: InstanceQuery): (s: Summary) => boolean {
  const from = query.startedFrom?.getTime();
  const to = query.startedTo?.getTime();
  const part = query.businessKeyContains?.toLowerCase();
  return (s) =>
    (!part || (s.businessKey ?? '').toLowerCase().includes(part)) &&
    (!query.status || s.status === query.status) &&
    (!query.processKey || s.processKey === query.processKey) &&
    (!query.businessKey || s.businessKey === query.businessKey) &&
    (!query.startedBy || s.startedBy === query.startedBy) &&
    (!query.unitWithin || s.unitPath.includes(query.unitWithin)) &&
    (from === undefined || s.at >= from) &&
    (to === undefined || s.at <= to);
}

function compare(a: Summary, b: Summary): number {
  return a.at - b.at || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0);
}

function insertionPoint(ordered: Summary[], entry: Summary): number {
  let lo = 0;
  let hi = ordered.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(ordered[mid]!, entry) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
