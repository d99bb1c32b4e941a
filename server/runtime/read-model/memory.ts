import type { Collections } from '../../db/collections.js';
import type { InstanceStatus, OutboxOp, TaskDoc } from '../../db/types.js';
import type { InstanceQuery } from '../api.js';
import type { Instance } from '../instance-store.js';
import type { InstanceCount, InstanceListItem, ReadModel } from './read-model.js';
import { OpenTaskIndex, TASK_FIELDS_PROJECTION, type TaskFields, type TaskFilter } from './task-index.js';

/** What an instance list filters and sorts on, and when its next timer is due; one per instance. */
interface Summary {
  id: string;
  processKey: string;
  version: number;
  businessKey: string | null;
  status: InstanceStatus;
  startedBy: string | null;
  /** ms since the epoch. */
  startedAt: number;
  nextTimerAt: number | null;
}

/** Open task records kept whole (most recently created or listed), so that inbox pages and steps read none. */
const KEPT_RECORDS = 5000;

const SUMMARY_PROJECTION = { processKey: 1, version: 1, businessKey: 1, status: 1, startedBy: 1, startedAt: 1, nextTimerAt: 1 } as const;

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
  /** Ascending by (startedAt, id): lists are read from the end. */
  private readonly ordered: Summary[] = [];

  constructor(private readonly collections: Pick<Collections, 'tasks' | 'instances'>) {}

  async open(): Promise<void> {
    // What recovery's steps reported is in what the scan reads.
    this.tasks.clear();
    this.records.clear();
    this.summaries.clear();
    this.ordered.length = 0;
    const open: TaskFields[] = [];
    for await (const task of this.collections.tasks.find({ status: 'open' }, { projection: TASK_FIELDS_PROJECTION })) open.push(task as TaskFields);
    this.tasks.load(open);
    for await (const doc of this.collections.instances.find({}, { projection: SUMMARY_PROJECTION })) {
      const summary = summaryOf(doc as unknown as Instance);
      this.summaries.set(summary.id, summary);
      this.ordered.push(summary);
    }
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
      } else if (op.op === 'assignTask') {
        this.tasks.assign(op.taskId, op.assignee);
        const kept = this.records.get(op.taskId);
        if (kept) this.records.set(op.taskId, { ...kept, assignee: op.assignee, assignRev: op.rev });
      }
    }
    const known = this.summaries.get(instance._id);
    if (known) {
      known.status = instance.status;
      known.nextTimerAt = instance.nextTimerAt ? new Date(instance.nextTimerAt).getTime() : null;
      return;
    }
    const summary = summaryOf(instance);
    this.summaries.set(summary.id, summary);
    this.ordered.splice(insertionPoint(this.ordered, summary), 0, summary);
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
    const ids: string[] = [];
    let total = 0;
    for (let i = this.ordered.length - 1; i >= 0; i--) {
      const summary = this.ordered[i]!;
      if (!matches(summary)) continue;
      if (total >= skip && ids.length < limit) ids.push(summary.id);
      total++;
    }
    const docs = await Promise.all(ids.map((id) => this.collections.instances.findOne({ _id: id }, { projection: { engineState: 0 } })));
    return { items: docs.filter((d) => d !== null) as InstanceListItem[], total };
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

  async dueTimers(now: Date, limit: number): Promise<string[]> {
    const due: Summary[] = [];
    const at = now.getTime();
    for (const s of this.summaries.values()) {
      if (s.nextTimerAt !== null && s.nextTimerAt <= at && (s.status === 'running' || s.status === 'incident')) due.push(s);
    }
    return due
      .sort((a, b) => a.nextTimerAt! - b.nextTimerAt!)
      .slice(0, limit)
      .map((s) => s.id);
  }
}

function summaryOf(doc: Pick<Instance, '_id' | 'processKey' | 'version' | 'businessKey' | 'status' | 'startedBy' | 'startedAt' | 'nextTimerAt'>): Summary {
  return {
    id: doc._id,
    processKey: doc.processKey,
    version: doc.version,
    businessKey: doc.businessKey ?? null,
    status: doc.status,
    startedBy: doc.startedBy ?? null,
    startedAt: new Date(doc.startedAt).getTime(),
    nextTimerAt: doc.nextTimerAt ? new Date(doc.nextTimerAt).getTime() : null,
  };
}

function instanceMatcher(query: InstanceQuery): (s: Summary) => boolean {
  const from = query.startedFrom?.getTime();
  const to = query.startedTo?.getTime();
  return (s) =>
    (!query.status || s.status === query.status) &&
    (!query.processKey || s.processKey === query.processKey) &&
    (!query.businessKey || s.businessKey === query.businessKey) &&
    (!query.startedBy || s.startedBy === query.startedBy) &&
    (from === undefined || s.startedAt >= from) &&
    (to === undefined || s.startedAt <= to);
}

function compare(a: Summary, b: Summary): number {
  return a.startedAt - b.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
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
