import type { AnyBulkWriteOperation, Collection, Document, OptionalUnlessRequiredId, UpdateFilter } from 'mongodb';

/**
 * Group commit for single-document writes to one collection. Writes asked for while the previous command to the
 * collection is in flight wait for it and then go out together, as one `insert` or one `update` command.
 *
 * Why: on FerretDB (SQLite) most of a write's cost is per command — the wire round trip, one SQLite transaction
 * and its WAL commit, statement preparation — not per document: 16 updates by `_id` in one command cost about a
 * third of 16 commands in FerretDB's CPU and a tenth in the driver's (docs/BENCHMARK.md, fourth round). With one
 * client nothing waits: a lone write goes out on the next turn of the event loop.
 *
 * Each write keeps its own outcome: a document's own error (a duplicate `_id`, say) rejects only its caller, a
 * failed command rejects every caller in it. Commands are unordered, so a batch never holds two writes to one
 * document that depend on their order: callers with such writes wait for the first before asking for the second
 * (every runtime step does: commit, then derived writes, then view).
 *
 * Updates must be idempotent (`$set`, `$unset`; not `$inc`): FerretDB 1.24 stops an unordered update command at its
 * first failing statement and reports it with index 0, so a batch that fails is sent again one update at a time to
 * learn which caller's update failed, and the ones before it are applied twice.
 */
export class WriteBatcher<T extends Document & { _id: string }> {
  /**
   * One command at a time per collection, inserts and updates alike: FerretDB 1.24 (SQLite) stalls for good, now
   * and then, when an update command of many statements and an insert run on one collection at once (never seen
   * at 2 statements, once in 30 tries at 100, at once at 126; docs/DATABASE.md). One at a time it never did, and it
   * costs nothing, since SQLite writes one at a time anyway. Update commands are also kept short (`MAX_UPDATES`),
   * because another server's writes to the same collection are not behind this gate.
   */
  private readonly gate = new Gate();
  private readonly inserts = new Lane<T>(this.gate, MAX_INSERTS, (docs) => this.collection.insertMany(docs as OptionalUnlessRequiredId<T>[], { ordered: false }), true);
  private readonly updates = new Lane<{ _id: string; update: UpdateFilter<T>; upsert: boolean }>(
    this.gate,
    MAX_UPDATES,
    (ops) =>
      this.collection.bulkWrite(
        ops.map((op) => ({ updateOne: { filter: { _id: op._id }, update: op.update, upsert: op.upsert } }) as AnyBulkWriteOperation<T>),
        { ordered: false },
      ),
    false,
  );

  private readonly deletes = new Lane<string>(
    this.gate,
    MAX_UPDATES,
    (ids) => this.collection.bulkWrite(ids.map((id) => ({ deleteOne: { filter: { _id: id } } }) as AnyBulkWriteOperation<T>), { ordered: false }),
    true,
  );

  constructor(readonly collection: Collection<T>) {}

  /** Insert one document; rejects with the document's own write error (code 11000 when the `_id` is taken). */
  insert(doc: T): Promise<void> {
    return this.inserts.push(doc);
  }

  /** Update the document with this `_id`. */
  update(id: string, update: UpdateFilter<T>, options: { upsert?: boolean } = {}): Promise<void> {
    return this.updates.push({ _id: id, update, upsert: options.upsert ?? false });
  }

  /** Delete the document with this `_id` (one that is not there is no error). */
  delete(id: string): Promise<void> {
    return this.deletes.push(id);
  }

  /** Resolves once every write asked for so far has been answered. */
  async drain(): Promise<void> {
    await Promise.all([this.inserts.drain(), this.updates.drain(), this.deletes.drain()]);
  }
}

/** Largest batches in one command (one SQLite transaction in FerretDB); see `WriteBatcher.gate` for updates. */
const MAX_INSERTS = 64;
const MAX_UPDATES = 16;

/** A mutex: the collection's one command in flight. */
class Gate {
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  async run<R>(work: () => Promise<R>): Promise<R> {
    if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy = true;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy = false;
    }
  }
}

interface Waiter<I> {
  item: I;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** One kind of write to one collection: a queue and at most one command in flight. */
class Lane<I> {
  private queue: Waiter<I>[] = [];
  private running: Promise<void> | null = null;
  private scheduled = false;

  /** `indexedErrors`: the server names each failed write's index correctly (see the class comment). */
  private readonly send: (items: I[]) => Promise<unknown>;

  constructor(
    gate: Gate,
    private readonly maxBatch: number,
    send: (items: I[]) => Promise<unknown>,
    private readonly indexedErrors: boolean,
  ) {
    this.send = (items) => gate.run(() => send(items));
  }

  push(item: I): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  async drain(): Promise<void> {
    while (this.running || this.queue.length || this.scheduled) await (this.running ?? new Promise((r) => setImmediate(r)));
  }

  private schedule() {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // Writes asked for in this turn of the event loop (concurrent requests' steps) join the same command.
    setImmediate(() => {
      this.scheduled = false;
      this.running = this.run().finally(() => {
        this.running = null;
        if (this.queue.length) this.schedule();
      });
    });
  }

  private async run(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.send(batch.map((w) => w.item));
        for (const w of batch) w.resolve();
      } catch (err) {
        if (this.indexedErrors || batch.length === 1 || !hasWriteErrors(err)) settleEach(batch, err);
        else for (const w of batch) await this.send([w.item]).then(w.resolve, (own) => settleEach([w], own));
      }
    }
  }
}

/**
 * An unordered command that failed for some documents reports each one's error with its index in the command;
 * the others were written. Anything else (a network error, a refused command) failed them all.
 */
function settleEach<I>(batch: Waiter<I>[], err: unknown) {
  const writeErrors = writeErrorsOf(err);
  if (!writeErrors.length || writeErrors.some((e) => typeof e.index !== 'number')) {
    for (const w of batch) w.reject(err);
    return;
  }
  const failed = new Map(writeErrors.map((e) => [e.index!, e]));
  batch.forEach((w, index) => {
    const own = failed.get(index);
    if (!own) return w.resolve();
    w.reject(Object.assign(new Error(own.errmsg ?? `write failed (code ${own.code})`), { code: own.code }));
  });
}

function writeErrorsOf(err: unknown): { index?: number; code?: number; errmsg?: string }[] {
  const reported = (err as { writeErrors?: unknown } | null)?.writeErrors;
  return (Array.isArray(reported) ? reported : reported ? [reported] : []) as { index?: number; code?: number; errmsg?: string }[];
}

const hasWriteErrors = (err: unknown) => writeErrorsOf(err).length > 0;
