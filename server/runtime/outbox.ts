import type { Collections } from '../db/collections.js';
import type { OutboxOp } from '../db/types.js';

/**
 * Applies the derived writes of a committed step. Every write is idempotent (upsert with $setOnInsert, or a
 * conditional update), so applying the same outbox twice — after a crash between commit and clean-up — changes
 * nothing the second time, and claims made on a task record survive a rebuild of that record.
 */
export async function applyOutbox(collections: Collections, ops: OutboxOp[]): Promise<void> {
  for (const op of ops) {
    switch (op.op) {
      case 'upsertTask':
        await collections.tasks.updateOne({ _id: op.task._id }, { $setOnInsert: op.task }, { upsert: true });
        break;
      case 'closeTasks':
        await collections.tasks.updateMany(
          { _id: { $in: op.taskIds }, status: 'open' },
          { $set: { status: op.status, completedAt: op.at, completedBy: op.by } },
        );
        break;
      case 'insertAudit':
        for (const entry of op.entries) {
          await collections.audit.updateOne({ _id: entry._id }, { $setOnInsert: entry }, { upsert: true });
        }
        break;
      case 'insertNotice':
        await collections.notices.updateOne({ _id: op.notice._id }, { $setOnInsert: op.notice }, { upsert: true });
        break;
      case 'insertSignoff':
        await collections.signoffs.updateOne({ _id: op.signoff._id }, { $setOnInsert: op.signoff }, { upsert: true });
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
