/**
 * A small LRU of live engines keyed by instance id (see `runStep`): the next step of an instance that is still
 * where the previous step left it continues on the live engine instead of recovering it from stored state.
 *
 * `take` removes the entry, so a step owns its engine exclusively while it runs: a second step of the same
 * instance running concurrently misses and recovers, and a step that fails never leaves a half-applied engine
 * behind. A step that succeeds `put`s it back.
 */
export class LiveEngines<T> {
  private readonly entries = new Map<string, T>();

  constructor(private max = 64) {}

  get capacity(): number {
    return this.max;
  }

  /** 0 disables caching. */
  set capacity(max: number) {
    this.max = Math.max(0, Math.floor(max));
    this.trim();
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  take(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined) this.entries.delete(key);
    return entry;
  }

  /** Most recently used last: a Map iterates in insertion order, so the first key is the one to drop. */
  put(key: string, entry: T): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.trim();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private trim() {
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}
