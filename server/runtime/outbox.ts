import { BSON, type AnyBulkWriteOperation, type Collection, type Document, type OptionalUnlessRequiredId } from 'mongodb';
import type { Collections } from '../db/collections.js';
import type { CommitDoc, InstanceDoc, OutboxOp } from '../db/types.js';

/**
 * Applies the derived writes of a committed step. Every write is idempotent (an insert that ignores an existing
 * document with the same deterministic `_id`, or an update by `_id` to values fixed by the commit), so applying the
 * same outbox twice — after a crash between commit and view update — changes nothing the second time.
 *
 * Every write names its documents by `_id` only: FerretDB 1.24's SQLite backend pushes down nothing but `_id`
 * equality, so any other filter (`{ _id, status }`, `{ _id: { $in } }`) reads and decodes the whole collection.
 * Writes to different collections go out together, each collection's in one command.
 *
 * Inserts are used rather than upserts with `$setOnInsert`, because FerretDB 1.24 drops top-level null and
 * empty-array fields from `$setOnInsert` documents.
 */
export async function applyOutbox(collections: Collections, ops: OutboxOp[]): Promise<void> {
  const newTasks: Document[] = [];
  const taskUpdates: AnyBulkWriteOperation<{ _id: string }>[] = [];
  const audit: Document[] = [];
  const notices: Document[] = [];
  const signoffs: Document[] = [];
  const timers: AnyBulkWriteOperation<{ _id: string }>[] = [];
  for (const op of ops) {
    switch (op.op) {
      case 'upsertTask':
        // The form schema (a deep tree copied into every task) is stored as one JSON string: FerretDB decodes every
        // field of every task it reads, and task lists read many. The runtime parses it back (taskFromStore).
        newTasks.push(op.task.formSchema === null || op.task.formSchema === undefined ? op.task : { ...op.task, formSchema: JSON.stringify(op.task.formSchema) });
        break;
      case 'closeTasks':
        for (const id of op.taskIds) {
          taskUpdates.push({ updateOne: { filter: { _id: id }, update: { $set: { status: op.status, completedAt: op.at, completedBy: op.by } } } });
        }
        break;
      case 'assignTask':
        taskUpdates.push({ updateOne: { filter: { _id: op.taskId }, update: { $set: { assignee: op.assignee } } } });
        break;
      case 'insertAudit':
        audit.push(...op.entries);
        break;
      case 'insertNotice':
        notices.push(op.notice);
        break;
      case 'insertSignoff':
        signoffs.push(op.signoff);
        break;
      case 'timerIndex':
        if (op.done) timers.push({ deleteOne: { filter: { _id: dueTimerId(op.instanceId, op.done) } } });
        if (op.due) {
          timers.push({
            updateOne: { filter: { _id: dueTimerId(op.instanceId, op.due) }, update: { $set: { instanceId: op.instanceId, dueAt: op.due } }, upsert: true },
          });
        }
        break;
    }
  }
  const work: Promise<unknown>[] = [];
  // A task is never created and updated by the same step, so its inserts and updates need no order.
  if (newTasks.length) work.push(insertAllOnce(collections.tasks as unknown as Collection<Document>, newTasks));
  if (taskUpdates.length) work.push((collections.tasks as unknown as Collection<{ _id: string }>).bulkWrite(taskUpdates, { ordered: true }));
  if (audit.length) work.push(insertAllOnce(collections.audit as unknown as Collection<Document>, audit));
  if (notices.length) work.push(insertAllOnce(collections.notices as unknown as Collection<Document>, notices));
  if (signoffs.length) work.push(insertAllOnce(collections.signoffs as unknown as Collection<Document>, signoffs));
  if (timers.length) work.push((collections.duetimers as unknown as Collection<{ _id: string }>).bulkWrite(timers, { ordered: true }));
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export const dueTimerId = (instanceId: string, dueAt: Date) => `${instanceId}:${new Date(dueAt).getTime()}`;

/** What a commit carries: the instance fields its step sets and the step's derived writes. */
export interface CommitPayload {
  set: Partial<InstanceDoc> & Record<string, unknown>;
  outbox: OutboxOp[];
}

export function encodeCommitPayload(payload: CommitPayload): BSON.Binary {
  return new BSON.Binary(BSON.serialize(payload));
}

/** The payload of a commit, also of one written before payloads were binary; null once it has been dropped. */
export function decodeCommitPayload(commit: Pick<CommitDoc, 'payload' | 'set'>): CommitPayload | null {
  if (commit.payload) {
    const raw = commit.payload as BSON.Binary | Uint8Array;
    const bytes = raw instanceof Uint8Array ? raw : (raw as BSON.Binary).buffer;
    return BSON.deserialize(bytes) as CommitPayload;
  }
  if (commit.set) {
    const { outbox, ...set } = commit.set as Partial<InstanceDoc>;
    return { set, outbox: outbox ?? [] };
  }
  return null;
}

/**
 * An outbox left on an instance document by an older version of the runtime (which kept the outbox on the view):
 * apply it, then clear it.
 */
export async function flushLegacyOutbox(collections: Collections, instanceId: string, ops: OutboxOp[]): Promise<void> {
  if (!ops.length) return;
  await applyOutbox(collections, ops);
  await collections.instances.updateOne({ _id: instanceId }, { $set: { outbox: [] } });
}

/** Insert documents with deterministic ids in one round trip; those already there are left as they are. */
async function insertAllOnce<T extends Document>(collection: Collection<T>, docs: T[]): Promise<void> {
  if (!docs.length) return;
  try {
    if (docs.length === 1) await collection.insertOne(docs[0] as OptionalUnlessRequiredId<T>);
    else await collection.insertMany(docs as OptionalUnlessRequiredId<T>[], { ordered: false });
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return;
    const writeErrors = (err as { writeErrors?: { code?: number }[] | { code?: number } }).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (!list.length || list.some((e) => e.code !== 11000)) throw err;
  }
}
