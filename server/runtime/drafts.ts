import type { Db } from 'mongodb';

/** A modeler draft: one per process key and administrator, `_id = <key>:<userId>`. */
export interface DraftDoc {
  _id: string;
  key: string;
  userId: string;
  xml: string;
  updatedAt: Date;
}

/** The modeler's saved, undeployed diagrams (`drafts`). */
export class DraftStore {
  constructor(private readonly db: Db) {}

  private get drafts() {
    return this.db.collection<DraftDoc>('drafts');
  }

  get(key: string, userId: string): Promise<DraftDoc | null> {
    return this.drafts.findOne({ _id: `${key}:${userId}` });
  }

  async save(key: string, userId: string, xml: string): Promise<Date> {
    const updatedAt = new Date();
    await this.drafts.updateOne({ _id: `${key}:${userId}` }, { $set: { key, userId, xml, updatedAt } }, { upsert: true });
    return updatedAt;
  }
}
