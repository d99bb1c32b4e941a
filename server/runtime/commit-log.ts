import { BSON, type Collection } from 'mongodb';
import type { CommitDoc, OutboxOp } from '../db/types.js';
import { WriteBatcher } from '../db/write-batcher.js';
import type { InstanceFields } from './instance-store.js';
import { engineStateFromStore, isPacked, pack, unpack } from './packed.js';

/** What a step commits: the instance fields it sets (engine state as text) and its derived writes. */
export interface Commit {
  instanceId: string;
  rev: number;
  at: Date;
  fields: InstanceFields;
  outbox: OutboxOp[];
  /** The engine state as stored (deflated), when the step set it: written once, for the commit and the view. */
  packedState?: unknown;
}

/**
 * The commit log: `commits/<instanceId>:<rev>`. Inserting a commit is a step's one atomic write; whoever finds the
 * revision taken lost the race and starts again from a fresh read.
 *
 * Once a step's writes are applied the commit is settled:
 * - `deleteApplied` (embedded strategy, one server): deleted, so `commits` holds only unfinished steps and start-up
 *   recovery reads all of it. Nothing else can act on an older view, so no marker needs to stay.
 * - otherwise (shared strategy): `open` is removed, and the previous commit's payload dropped. The marker stays as the
 *   guard of its revision against a server acting on an older view; the newest commit keeps its payload, so that a
 *   reader can finish its step again should a late writer have set the view back.
 */
/** Applied commits are deleted this long after their step, many in one command (embedded strategy). */
const SETTLE_DELAY_MS = 50;

export class CommitLog {
  private readonly writer: WriteBatcher<CommitDoc>;
  private settled: string[] = [];
  private settleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly collection: Collection<CommitDoc>,
    private readonly deleteApplied: boolean,
  ) {
    this.writer = new WriteBatcher(collection);
  }

  /** Commits; false when another step took this revision. */
  async insert(commit: Commit): Promise<boolean> {
    const { engineState: _text, ...fields } = commit.fields;
    const doc: CommitDoc = {
      _id: `${commit.instanceId}:${commit.rev}`,
      instanceId: commit.instanceId,
      rev: commit.rev,
      at: commit.at,
      ...(this.deleteApplied ? {} : { open: true as const }),
      payload: pack(BSON.serialize({ fields, outbox: commit.outbox })),
      ...(commit.packedState !== undefined ? { state: commit.packedState } : {}),
    };
    try {
      await this.writer.insert(doc);
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  /** Marks a step's writes applied; bookkeeping that needs no waiting (a lost settle is redone by recovery). */
  settle(instanceId: string, rev: number): void {
    if (this.deleteApplied) {
      // Bookkeeping, not part of the step: a few steps' deletes share one command.
      this.settled.push(`${instanceId}:${rev}`);
      this.settleTimer ??= setTimeout(() => this.deleteSettled(), SETTLE_DELAY_MS).unref();
      return;
    }
    const done = Promise.all([
          this.writer.update(`${instanceId}:${rev}`, { $unset: { open: '' } }),
          rev > 1 ? this.writer.update(`${instanceId}:${rev - 1}`, { $unset: { payload: '', state: '' } }) : null,
        ]);
    done.catch(() => undefined);
  }

  /** Commit `rev` of an instance if it exists with its payload. `exists` says whether the revision is taken at all. */
  async read(instanceId: string, rev: number): Promise<{ exists: boolean; commit: Commit | null }> {
    const doc = await this.collection.findOne({ _id: `${instanceId}:${rev}` });
    return { exists: !!doc, commit: doc ? decode(doc) : null };
  }

  /** The commits whose steps may be unfinished, oldest revision first per instance. */
  async unfinished(): Promise<Commit[]> {
    const docs = await this.collection.find(this.deleteApplied ? {} : { open: true }).toArray();
    return docs
      .map(decode)
      .filter((c): c is Commit => c !== null)
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : a.rev - b.rev));
  }

  private deleteSettled(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    for (const id of this.settled.splice(0)) this.writer.delete(id).catch(() => undefined);
  }

  drain(): Promise<void> {
    this.deleteSettled();
    return this.writer.drain();
  }
}

function decode(doc: CommitDoc): Commit | null {
  if (!isPacked(doc.payload)) return null;
  const { fields, outbox } = BSON.deserialize(unpack(doc.payload)) as { fields: InstanceFields; outbox: OutboxOp[] };
  if (doc.state !== undefined) {
    fields.engineState = engineStateFromStore(doc.state);
    return { instanceId: doc.instanceId, rev: doc.rev, at: doc.at, fields, outbox, packedState: doc.state };
  }
  return { instanceId: doc.instanceId, rev: doc.rev, at: doc.at, fields, outbox };
}
