import type { Document } from 'mongodb';
import type { Collections } from '../db/collections.js';
import type { AuditDoc, NoticeDoc, OutboxOp, SignoffDoc, TaskDoc } from '../db/types.js';
import { WriteBatcher } from '../db/write-batcher.js';

/**
 * Applies the derived writes of a committed step: task records, history, notices, sign-offs. Every write names
 * its document by `_id` (the one filter FerretDB 1.24 serves from an index) and is idempotent — an insert with a
 * deterministic `_id` that leaves an existing document alone, or an update to values the commit fixes — so applying
 * a commit again after a crash changes nothing. Applied out of order (an older commit recovered after a newer one
 * landed), only a claim could go backwards, so `replay` checks a claim's revision against the record first.
 *
 * Concurrent steps' writes to one collection share commands (server/db/write-batcher.ts).
 */
export class DerivedWriter {
  private readonly tasks: WriteBatcher<TaskDoc>;
  private readonly audit: WriteBatcher<AuditDoc>;
  private readonly notices: WriteBatcher<NoticeDoc>;
  private readonly signoffs: WriteBatcher<SignoffDoc>;

  constructor(private readonly collections: Pick<Collections, 'tasks' | 'audit' | 'notices' | 'signoffs'>) {
    this.tasks = new WriteBatcher(collections.tasks);
    this.audit = new WriteBatcher(collections.audit);
    this.notices = new WriteBatcher(collections.notices);
    this.signoffs = new WriteBatcher(collections.signoffs);
  }

  async apply(ops: OutboxOp[], options: { replay?: boolean } = {}): Promise<void> {
    const work: Promise<unknown>[] = [];
    for (const op of ops) {
      switch (op.op) {
        case 'upsertTask': {
          // Stored without its form: that is its process version's (Runtime.withForm).
          const { formSchema: _form, ...record } = op.task;
          work.push(insertOnce(this.tasks, record as TaskDoc));
          break;
        }
        case 'closeTasks':
          // Closing is final, and a task is never created and closed by one step: no order to keep.
          for (const id of op.taskIds) work.push(this.tasks.update(id, { $set: { status: op.status, completedAt: op.at, completedBy: op.by } }));
          break;
        case 'assignTask':
          work.push(options.replay ? this.replayAssign(op) : this.tasks.update(op.taskId, { $set: assignment(op) }));
          break;
        case 'excludePerformer':
          for (const id of op.taskIds) work.push(this.tasks.update(id, { $addToSet: { excludedUsers: op.user } }));
          break;
        case 'insertAudit':
          for (const entry of op.entries) work.push(insertOnce(this.audit, entry));
          break;
        case 'insertNotice':
          work.push(insertOnce(this.notices, op.notice));
          break;
        case 'insertSignoff':
          work.push(insertOnce(this.signoffs, op.signoff));
          break;
      }
    }
    const results = await Promise.allSettled(work);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async replayAssign(op: Extract<OutboxOp, { op: 'assignTask' }>): Promise<void> {
    const task = await this.collections.tasks.findOne({ _id: op.taskId }, { projection: { assignRev: 1 } });
    if (task && (task.assignRev ?? 0) >= op.rev) return;
    await this.tasks.update(op.taskId, { $set: assignment(op) });
  }

  drain(): Promise<void> {
    return Promise.all([this.tasks.drain(), this.audit.drain(), this.notices.drain(), this.signoffs.drain()]).then(() => undefined);
  }
}

function assignment(op: Extract<OutboxOp, { op: 'assignTask' }>): Partial<TaskDoc> {
  return {
    assignee: op.assignee,
    assignRev: op.rev,
    ...(op.owner !== undefined ? { owner: op.owner } : {}),
    ...(op.cosigners ? { cosigners: op.cosigners } : {}),
    ...(op.held !== undefined ? { held: op.held } : {}),
  };
}

/** Insert a document with a deterministic id; one already there (a step applied again) is left as it is. */
async function insertOnce<T extends Document & { _id: string }>(writer: WriteBatcher<T>, doc: T): Promise<void> {
  try {
    await writer.insert(doc);
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
  }
}
