import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import type { FeedDoc, OutboxOp, TaskDoc } from '../db/types.js';
import type { OpenTaskIndex, TaskFields } from './task-index.js';

/**
 * What one committed step changed in the set of open tasks: tasks added (`a`), closed (`x`) and (re)assigned (`s`),
 * with the instance (`i`) and the commit's revision (`r`), which orders the changes of one instance.
 */
export interface TaskChange {
  i: string;
  r: number;
  a?: (Omit<TaskFields, 'createdAt'> & { createdAt: string | Date })[];
  x?: string[];
  s?: [string, string | null][];
}

type TaskState = TaskFields & Pick<TaskDoc, 'status'>;

export interface TaskFeedOptions {
  collection: Collection<FeedDoc>;
  index: OpenTaskIndex;
  /** The open tasks as stored: read once at start-up (and again should this server fall behind the pruning). */
  scanOpenTasks: () => AsyncIterable<TaskFields>;
  /** Task records by `_id`, as they are now. */
  readTasks: (ids: string[]) => Promise<Map<string, TaskState>>;
  /** Entries kept behind the newest; a server further behind than this rebuilds its index. */
  keep?: number;
}

const HINT_EVERY = 32;
const MAX_CHANGES_PER_ENTRY = 200;
/** How long a server remembers the revision it last applied for an instance (a guard against late duplicates). */
const REV_MEMORY_MS = 10 * 60_000;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_CHUNK = 1000;

const entryId = (seq: number) => `f:${String(seq).padStart(12, '0')}`;

/** The open-task changes of a step's derived writes, or null when it changed none. */
export function taskChangeOf(instanceId: string, rev: number, outbox: OutboxOp[]): TaskChange | null {
  const change: TaskChange = { i: instanceId, r: rev };
  for (const op of outbox) {
    if (op.op === 'upsertTask') {
      const t = op.task;
      (change.a ??= []).push({
        _id: t._id,
        instanceId: t.instanceId,
        createdAt: t.createdAt,
        candidateGroups: t.candidateGroups,
        candidateUsers: t.candidateUsers,
        assignee: t.assignee,
        processKey: t.processKey,
        businessKey: t.businessKey,
      });
    } else if (op.op === 'closeTasks') (change.x ??= []).push(...op.taskIds);
    else if (op.op === 'assignTask') (change.s ??= []).push([op.taskId, op.assignee]);
  }
  return change.a || change.x || change.s ? change : null;
}

/**
 * The task feed: how every server learns which tasks opened, closed or changed hands, whichever server ran the step,
 * so that its {@link OpenTaskIndex} stays exact without querying the task collection.
 *
 * Each step appends its change after writing the task records and before its instance view, so the feed never
 * runs ahead of the records, and a step that died in between is appended again by whoever finishes it (the
 * runtime re-applies a commit newer than its view). Entries form a dense sequence `f:1, f:2, …`, allocated by
 * unique insert — the one write FerretDB 1.24 makes atomic across connections: a writer tries the next number it
 * knows of and moves up when it is taken, so a number is only ever taken after all below it. Readers therefore
 * read by `_id` (the only lookup FerretDB serves from an index), one number after the other. A server's concurrent
 * steps share one entry (group commit).
 *
 * A change may arrive twice (a slow committer appending after another server finished its step); each server
 * remembers the revision it last applied per instance and skips older ones. An instance it has no revision for
 * (started elsewhere, before its start-up, or forgotten after ten minutes) gets its touched tasks read back from
 * the records instead; only the first change of an instance this server started itself is taken as it is.
 */
export class TaskFeed {
  private readSeq = 1;
  private writeSeq = 1;
  private tailSeq = 1;
  private readonly revs = new Map<string, { rev: number; at: number }>();
  /** Instances this server started whose first change it has not read back yet. */
  private readonly fresh = new Set<string>();
  /** Entries this server wrote and has not reached yet: read from here, not back from the database. */
  private readonly own = new Map<number, TaskChange[]>();
  private readonly queue: { change: TaskChange; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;
  private reading: Promise<void> | null = null;
  private queuedRead: Promise<void> | null = null;
  private lastPrune = 0;
  private readonly keep: number;

  constructor(private readonly options: TaskFeedOptions) {
    this.keep = options.keep ?? 50_000;
  }

  /** Fills the index from the task records and starts reading the feed after its current head. */
  async rebuild(): Promise<void> {
    const head = await this.findHead();
    const tasks: TaskFields[] = [];
    for await (const task of this.options.scanOpenTasks()) tasks.push(task);
    this.options.index.clear();
    this.options.index.load(tasks);
    this.revs.clear();
    this.fresh.clear();
    for (const seq of this.own.keys()) if (seq <= head) this.own.delete(seq);
    this.readSeq = head + 1;
    this.writeSeq = Math.max(this.writeSeq, head + 1);
  }

  /** Appends a step's change; resolves once it is stored. */
  append(change: TaskChange): Promise<void> {
    if (change.r === 1) this.fresh.add(change.i);
    return new Promise((resolve, reject) => {
      this.queue.push({ change, resolve, reject });
      this.flushing ??= this.flush().finally(() => {
        this.flushing = null;
      });
    });
  }

  /**
   * Applies every entry stored before this call. A read already under way may have probed past an entry appended
   * since it began, so a call made during one waits for one more read after it.
   */
  catchUp(): Promise<void> {
    if (!this.reading) {
      this.reading = this.drain().finally(() => {
        this.reading = null;
      });
      return this.reading;
    }
    this.queuedRead ??= this.reading.then(
      () => this.next(),
      () => this.next(),
    );
    return this.queuedRead;
  }

  /** Periodic work: keep up with the feed, drop old entries, and rebuild if this server fell behind them. */
  async maintain(now = Date.now()): Promise<void> {
    await this.catchUp();
    for (const [id, seen] of this.revs) if (now - seen.at > REV_MEMORY_MS) this.revs.delete(id);
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    await this.prune();
  }

  private next(): Promise<void> {
    this.queuedRead = null;
    return this.catchUp();
  }

  private async drain(): Promise<void> {
    const { collection } = this.options;
    for (;;) {
      let changes = this.own.get(this.readSeq);
      if (changes) this.own.delete(this.readSeq);
      else {
        const doc = await collection.findOne({ _id: entryId(this.readSeq) });
        if (!doc) return;
        changes = JSON.parse(doc.c ?? '[]') as TaskChange[];
      }
      await this.apply(changes);
      this.readSeq++;
    }
  }

  private async apply(changes: TaskChange[]): Promise<void> {
    const { index } = this.options;
    for (const change of changes) {
      const known = this.revs.get(change.i);
      const startedHere = this.fresh.delete(change.i);
      if (known && change.r <= known.rev) continue; // a late duplicate of a step already applied
      if (!known && !startedHere) {
        // The index may already hold this change (read at start-up) or something newer: take the records as they are.
        const ids = [...(change.a ?? []).map((t) => t._id), ...(change.x ?? []), ...(change.s ?? []).map(([id]) => id)];
        const current = await this.options.readTasks(ids);
        for (const id of ids) {
          index.remove(id);
          const task = current.get(id);
          if (task && task.status === 'open') index.add(task);
        }
      } else {
        for (const task of change.a ?? []) index.add(task as TaskFields);
        for (const id of change.x ?? []) index.remove(id);
        for (const [id, assignee] of change.s ?? []) index.assign(id, assignee);
      }
      this.revs.set(change.i, { rev: change.r, at: Date.now() });
    }
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_CHANGES_PER_ENTRY);
      try {
        const changes = batch.map((b) => b.change);
        this.own.set(await this.insert(JSON.stringify(changes)), changes);
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
  }

  private async insert(c: string): Promise<number> {
    const { collection } = this.options;
    let seq = Math.max(this.writeSeq, this.readSeq, this.tailSeq);
    for (let attempt = 0; attempt < 10_000; attempt++, seq++) {
      try {
        await collection.insertOne({ _id: entryId(seq), c, at: new Date() });
      } catch (err) {
        if ((err as { code?: number }).code === 11000) continue; // taken by another server: try the next number
        throw err;
      }
      this.writeSeq = seq + 1;
      if (seq % HINT_EVERY === 0) void this.writeHint('head', seq).catch(() => undefined);
      return seq;
    }
    throw new Error('任务动态序号分配失败');
  }

  /** The newest entry: from the head hint (written every few entries, possibly behind) up, by `_id`. */
  private async findHead(): Promise<number> {
    const { collection } = this.options;
    const [head, tail] = await Promise.all([collection.findOne({ _id: 'head' }), collection.findOne({ _id: 'tail' })]);
    this.tailSeq = tail?.seq ?? 1;
    let seq = Math.max(head?.seq ?? 0, this.tailSeq - 1);
    while (await collection.findOne({ _id: entryId(seq + 1) }, { projection: { _id: 1 } })) seq++;
    return seq;
  }

  /**
   * Drops entries more than `keep` behind the head hint, by `_id` in bulk (never a filtered delete: FerretDB would
   * read the whole collection). A server whose next entry was dropped rebuilds its index from the records.
   */
  private async prune(): Promise<void> {
    const { collection } = this.options;
    const [head, tail] = await Promise.all([collection.findOne({ _id: 'head' }), collection.findOne({ _id: 'tail' })]);
    this.tailSeq = Math.max(this.tailSeq, tail?.seq ?? 1);
    if (this.readSeq < this.tailSeq) {
      await this.rebuild();
      return;
    }
    const upTo = Math.min((head?.seq ?? 0) - this.keep, this.readSeq - 1);
    if (upTo < this.tailSeq) return;
    for (let from = this.tailSeq; from <= upTo; from += PRUNE_CHUNK) {
      const ops: AnyBulkWriteOperation<FeedDoc>[] = [];
      for (let seq = from; seq <= Math.min(upTo, from + PRUNE_CHUNK - 1); seq++) ops.push({ deleteOne: { filter: { _id: entryId(seq) } } });
      await collection.bulkWrite(ops, { ordered: false });
    }
    this.tailSeq = upTo + 1;
    await this.writeHint('tail', this.tailSeq);
  }

  private async writeHint(id: 'head' | 'tail', seq: number): Promise<void> {
    await this.options.collection.updateOne({ _id: id }, { $set: { seq } }, { upsert: true });
  }
}
