import { BSON, type AnyBulkWriteOperation, type Collection, type Document } from 'mongodb';
import type { CommitDoc, InstanceDoc, OutboxOp } from '../db/types.js';
import type { WriteBatcher } from '../db/write-batcher.js';
import { engineStateFromStore, isPacked, pack, unpack } from './packed.js';
import type { Writers } from './writers.js';

/**
 * Applies the derived writes of a committed step. Every write is idempotent (an insert that ignores an existing
 * document with the same deterministic `_id`, or an update by `_id` to values fixed by the commit), so applying the
 * same outbox twice — after a crash between commit and view update — changes nothing the second time.
 *
 * Every write names its documents by `_id` only: FerretDB 1.24's SQLite backend pushes down nothing but `_id`
 * equality, so any other filter (`{ _id, status }`, `{ _id: { $in } }`) reads and decodes the whole collection.
 * Writes to different collections go out together; each collection's join the other concurrent steps' writes to it
 * in one command (server/db/write-batcher.ts).
 *
 * Inserts are used rather than upserts with `$setOnInsert`, because FerretDB 1.24 drops top-level null and
 * empty-array fields from `$setOnInsert` documents.
 */
export async function applyOutbox(writers: Writers, ops: OutboxOp[]): Promise<void> {
  const work: Promise<unknown>[] = [];
  const timers: AnyBulkWriteOperation<{ _id: string }>[] = [];
  for (const op of ops) {
    switch (op.op) {
      case 'upsertTask': {
        // Stored without its form: that is its process version's, read from the definition when the task is shown
        // or completed (Runtime.withForm). A deep tree in every task made every task read and update cost more.
        const { formSchema: _form, ...record } = op.task;
        work.push(insertOnce(writers.tasks, record as typeof op.task));
        break;
      }
      case 'closeTasks':
        // A task is never created and updated by the same step, so its inserts and updates need no order.
        for (const id of op.taskIds) work.push(writers.tasks.update(id, { $set: { status: op.status, completedAt: op.at, completedBy: op.by } }));
        break;
      case 'assignTask':
        work.push(writers.tasks.update(op.taskId, { $set: { assignee: op.assignee } }));
        break;
      case 'insertAudit':
        for (const entry of op.entries) work.push(insertOnce(writers.audit, entry));
        break;
      case 'insertNotice':
        work.push(insertOnce(writers.notices, op.notice));
        break;
      case 'insertSignoff':
        work.push(insertOnce(writers.signoffs, op.signoff));
        break;
      case 'instanceSummary':
        // Whole at the start (created), then only the fields that changed.
        work.push(writers.instancelist.update(op.instanceId, { $set: op.set }, { upsert: op.upsert }));
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
  if (timers.length) work.push((writers.duetimers as unknown as Collection<{ _id: string }>).bulkWrite(timers, { ordered: true }));
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

/**
 * A commit's stored fields: the payload deflated, and the engine state beside it when it is already packed for the
 * instance document (so that a step deflates its state once, not once for each).
 */
export function commitFields(payload: CommitPayload): Pick<CommitDoc, 'payload' | 'state'> {
  const { engineState, ...set } = payload.set;
  if (!isPacked(engineState)) return { payload: pack(BSON.serialize(payload)) };
  return { payload: pack(BSON.serialize({ set, outbox: payload.outbox })), state: engineState };
}

/**
 * The payload of a commit, also of one written by an older version (plain BSON, or the fields themselves); null
 * once it has been dropped. The engine state comes back as its JSON text.
 */
export function decodeCommitPayload(commit: Pick<CommitDoc, 'payload' | 'set' | 'state'>): CommitPayload | null {
  if (isPacked(commit.payload)) {
    const payload = BSON.deserialize(unpack(commit.payload)) as CommitPayload;
    if (commit.state !== undefined) payload.set.engineState = engineStateFromStore(commit.state);
    return payload;
  }
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
export async function flushLegacyOutbox(writers: Writers, instanceId: string, ops: OutboxOp[]): Promise<void> {
  if (!ops.length) return;
  await applyOutbox(writers, ops);
  await writers.instances.update(instanceId, { $set: { outbox: [] } });
}

/** Insert a document with a deterministic id; one already there (a step applied again) is left as it is. */
async function insertOnce<T extends Document & { _id: string }>(writer: WriteBatcher<T>, doc: T): Promise<void> {
  try {
    await writer.insert(doc);
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
  }
}
