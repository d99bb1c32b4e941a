import type { Collections } from '../db/collections.js';
import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb';
import type { OutboxOp } from '../db/types.js';

/**
 * Applies the derived writes of a committed step. Every write is idempotent (an insert that ignores an existing
 * document with the same deterministic `_id`, or a conditional update), so applying the same outbox twice — after a
 * crash between commit and clean-up — changes nothing the second time, and a claim made on a task record survives.
 *
 * Inserts are used rather than upserts with `$setOnInsert`, because FerretDB 1.24 drops top-level null and
 * empty-array fields from `$setOnInsert` documents.
 */
export async function applyOutbox(collections: Collections, ops: OutboxOp[]): Promise<void> {
  for (const op of ops) {
    switch (op.op) {
      case 'upsertTask':
        await insertOnce(collections.tasks, op.task);
        break;
      case 'closeTasks':
        await collections.tasks.updateMany(
          { _id: { $in: op.taskIds }, status: 'open' },
          { $set: { status: op.status, completedAt: op.at, completedBy: op.by } },
        );
        break;
      case 'assignTask':
        await collections.tasks.updateOne({ _id: op.taskId, status: 'open' }, { $set: { assignee: op.assignee } });
        break;
      case 'insertAudit':
        await insertAllOnce(collections.audit, op.entries);
        break;
      case 'insertNotice':
        await insertOnce(collections.notices, op.notice);
        break;
      case 'insertSignoff':
        await insertOnce(collections.signoffs, op.signoff);
        break;
    }
  }
}

/** Apply an instance's pending outbox, then clear it if no newer step has replaced it meanwhile. */
export async function flushOutbox(collections: Collections, instanceId: string, rev: number, ops: OutboxOp[]): Promise<void> {
  if (!ops.length) return;
  await applyOutbox(collections, ops);
  await collections.instances.updateOne({ _id: instanceId, rev }, { $set: { outbox: [] } });
}

/** At start-up: finish the derived writes of steps whose server died between commit and clean-up. */
export async function flushAllPending(collections: Collections): Promise<number> {
  let count = 0;
  const cursor = collections.instances.find(
    { 'outbox.0': { $exists: true } },
    { projection: { _id: 1, rev: 1, outbox: 1 } },
  );
  for await (const doc of cursor) {
    await flushOutbox(collections, doc._id, doc.rev, doc.outbox);
    count++;
  }
  return count;
}

/** Insert a document with a deterministic id unless it is already there. */
async function insertOnce<T extends Document>(collection: Collection<T>, doc: T): Promise<void> {
  try {
    await collection.insertOne(doc as OptionalUnlessRequiredId<T>);
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
  }
}

/** Insert many documents with deterministic ids in one round trip; those already there are left as they are. */
async function insertAllOnce<T extends Document>(collection: Collection<T>, docs: T[]): Promise<void> {
  if (!docs.length) return;
  try {
    await collection.insertMany(docs as OptionalUnlessRequiredId<T>[], { ordered: false });
  } catch (err) {
    const writeErrors = (err as { writeErrors?: { code?: number }[] | { code?: number } }).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (!list.length || list.some((e) => e.code !== 11000)) throw err;
  }
}
