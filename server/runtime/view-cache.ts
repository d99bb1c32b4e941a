import type { InstanceDoc } from '../db/types.js';

/**
 * The instance views this server committed most recently, so that the next step of an instance worked on here
 * starts without reading it back. Only a step's first, optimistic attempt uses an entry: if another server has
 * moved the instance on meanwhile, that step's commit finds its revision taken and the step starts again from a
 * fresh read (`Runtime.mutate`), so a stale entry costs a retry, never a wrong step.
 *
 * Entries are copied in and out: steps build new documents from the one they are given, and must not be able to
 * change what the next step starts from. Least recently used entries go first.
 */
export class ViewCache<T extends Pick<InstanceDoc, '_id' | 'rev'>> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity = 500) {}

  get(id: string): T | undefined {
    const view = this.entries.get(id);
    if (!view) return undefined;
    this.entries.delete(id);
    this.entries.set(id, view);
    return structuredClone(view);
  }

  set(view: T): void {
    this.entries.delete(view._id);
    this.entries.set(view._id, structuredClone(view));
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(id: string): void {
    this.entries.delete(id);
  }
}
