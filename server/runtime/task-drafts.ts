import type { Collection } from 'mongodb';
import type { TaskDraftDoc } from '../db/types.js';

/**
 * 暂存: a task form as its author typed it, kept until the task is done (`taskDrafts/<taskId>:<user>`). With the
 * embedded strategy this server writes every draft, so it knows which exist and spends no round trip on the others:
 * every completion discards its draft, and few tasks have one.
 */
export class TaskDrafts {
  private known: Set<string> | null = null;

  constructor(
    private readonly collection: Collection<TaskDraftDoc>,
    private readonly ownsDatabase: boolean,
  ) {}

  /** Reads which drafts exist (embedded strategy); before it, every call asks the database. */
  async open(): Promise<void> {
    if (!this.ownsDatabase) return;
    const ids = await this.collection.find({}, { projection: { _id: 1 } }).toArray();
    this.known = new Set(ids.map((d) => d._id));
  }

  async save(taskId: string, user: string, values: Record<string, unknown>, savedAt: Date): Promise<Date> {
    const _id = `${taskId}:${user}`;
    this.known?.add(_id);
    await this.collection.updateOne({ _id }, { $set: { taskId, user, values, savedAt } }, { upsert: true });
    return savedAt;
  }

  async get(taskId: string, user: string): Promise<{ values: Record<string, unknown>; savedAt: Date } | null> {
    const _id = `${taskId}:${user}`;
    if (this.known && !this.known.has(_id)) return null;
    const doc = await this.collection.findOne({ _id });
    return doc ? { values: doc.values, savedAt: doc.savedAt } : null;
  }

  async discard(taskId: string, user: string): Promise<void> {
    const _id = `${taskId}:${user}`;
    if (this.known && !this.known.has(_id)) return;
    await this.collection.deleteOne({ _id });
    this.known?.delete(_id);
  }
}
