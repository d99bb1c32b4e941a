import type { Collection } from 'mongodb';
import type { IncidentInfo, InstanceDoc } from '../db/types.js';
import { WriteBatcher } from '../db/write-batcher.js';
import { engineStateFromStore, engineStateToStore } from './packed.js';

/** An instance as the runtime works on it: the engine state as its JSON text (stored deflated). */
export type Instance = Omit<InstanceDoc, 'engineState'> & { engineState: string | null; incidents: IncidentInfo[] };

/** The fields a step sets on an instance (the whole instance for a start). */
export type InstanceFields = Partial<Instance>;

/**
 * Reads and writes instance documents, always by `_id`. With `cacheSize` > 0 (the embedded strategy, where this
 * server is the database's only writer) the views it wrote last are kept and a step starts from them without a
 * read; with several servers a kept view could be stale, so the shared strategy keeps none. Kept views are shared,
 * not copied: no step changes the instance it is given (each builds the next from it; the engine copies variables).
 */
export class InstanceStore {
  private readonly writer: WriteBatcher<InstanceDoc>;
  private readonly cache = new Map<string, Instance>();

  constructor(
    private readonly collection: Collection<InstanceDoc>,
    private readonly cacheSize: number,
  ) {
    this.writer = new WriteBatcher(collection);
  }

  async read(id: string): Promise<Instance | null> {
    const kept = this.cache.get(id);
    if (kept) {
      this.cache.delete(id);
      this.cache.set(id, kept);
      return kept;
    }
    const doc = await this.collection.findOne({ _id: id });
    return doc ? { ...(doc as unknown as Instance), engineState: engineStateFromStore(doc.engineState), incidents: doc.incidents ?? [] } : null;
  }

  /**
   * Writes the view of commit `rev`: the first creates the document (applying it again finds it there), later ones
   * set the fields their step changed. `packedState` is the state as the commit stored it (deflated once per step).
   */
  async write(id: string, rev: number, fields: InstanceFields, packedState: unknown, after: Instance | null): Promise<void> {
    const stored = { ...fields, rev, ...(fields.engineState !== undefined ? { engineState: packedState ?? engineStateToStore(fields.engineState ?? null) } : {}) };
    if (rev === 1) {
      try {
        await this.writer.insert({ ...(stored as unknown as InstanceDoc), _id: id });
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
    } else {
      await this.writer.update(id, { $set: stored as Partial<InstanceDoc> });
    }
    if (after && this.cacheSize > 0) this.remember(after);
  }

  /** Sets an instance aside as an incident (a record start-up recovery could not apply). */
  async markIncident(id: string, incident: IncidentInfo, fields: InstanceFields): Promise<void> {
    this.forget(id);
    const set = { status: 'incident' as const, incident, incidents: [incident] };
    const { matchedCount } = await this.collection.updateOne({ _id: id }, { $set: set });
    if (matchedCount) return;
    // A start that never got its document: a placeholder with what identifies it, none of the data it could not store.
    const { processKey, processName, version, definitionId, businessKey, startedBy, startedAt } = fields;
    const unitId = fields.unitId ?? null;
    const unitPath = fields.unitPath ?? [];
    await this.collection.insertOne({
      _id: id,
      ...{ processKey, processName, version, definitionId, businessKey, startedBy, startedAt, unitId, unitPath },
      ...set,
      rev: 0,
      engineState: null,
      variables: {},
      activeElements: [],
      timers: [],
      nextTimerAt: null,
      openTasks: [],
      updatedAt: incident.at,
      endedAt: null,
    } as InstanceDoc);
  }

  remember(instance: Instance): void {
    if (this.cacheSize <= 0) return;
    this.cache.delete(instance._id);
    this.cache.set(instance._id, instance);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  drain(): Promise<void> {
    return this.writer.drain();
  }
}
