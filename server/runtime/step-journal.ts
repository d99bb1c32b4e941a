import { randomBytes, randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { CommitDoc, ServerDoc } from '../db/types.js';

/** How often a server writes its record when steps finished since (ms): keeps recovery's list short. */
const TIDY_MS = 1_000;
/** A server record not refreshed for this long belongs to a server that is gone (ms). */
const GONE_AFTER_MS = 10 * 60_000;
/** Refresh the record at least this often, even when nothing changed, so that it does not look gone (ms). */
const REFRESH_MS = 60_000;
/** The marker that says the commits of older versions (`pending: true`) have been recovered once (see below). */
export const LEGACY_CHECKED = '#legacy-pending-recovered';

/**
 * Which commits a server may not have finished (committed, but derived writes or view not yet written), so that
 * start-up recovery finishes exactly those, reading each by `_id`: no write per step to mark a commit finished, and
 * no query over the commits (FerretDB would read every commit, markers and payloads, at each start-up).
 *
 * Each server keeps a record in `servers` listing the ids of the commits it is about to make or has not finished.
 * A step announces its commit id when it starts (its revision is known before the engine runs) and inserts the
 * commit only once a write of the record listing it has landed: the write overlaps the engine step, and concurrent
 * steps share it. Most steps find their id listed already and wait for nothing: after each step the instance's next
 * revision is listed ahead, and so are the ids the next few starts will take. A finished step leaves the list at the
 * next write (at most a second later). So a server killed at any moment leaves a record naming every commit it may
 * not have finished, and some that it finished or never made, which recovery checks by `_id` and finishes again
 * without changing anything.
 */
export class StepJournal {
  readonly serverId = `s-${randomBytes(6).toString('hex')}`;
  /** Announced commit ids, with how many of this server's steps announced each (two may race for one revision). */
  private readonly announced = new Map<string, number>();
  /**
   * Ids listed ahead of their step, so that the step finds itself listed and waits for no write: the next revision
   * of each instance this server stepped last (oldest first, at most {@link MAX_PROSPECTIVE}), and the first
   * revision of the ids the next starts will take ({@link START_IDS}).
   */
  private readonly prospective = new Set<string>();
  private readonly startIds: string[] = [];
  /** What the write in flight lists, and what the last write that landed listed. */
  private inFlightList: Set<string> | null = null;
  private landedList = new Set<string>();
  private writing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private changedSinceWrite = false;
  private lastWrite = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly servers: Collection<ServerDoc>) {}

  /** Writes this server's record and starts tidying it. */
  async open(): Promise<void> {
    while (this.startIds.length < START_IDS) this.startIds.push(randomUUID());
    await this.publish();
    this.timer = setInterval(() => {
      if (this.changedSinceWrite || Date.now() - this.lastWrite > REFRESH_MS) void this.publish().catch(() => undefined);
    }, TIDY_MS).unref();
  }

  /**
   * An id for a new instance; usually one already listed with its first revision, so its start waits for no write.
   * Its first revision stays listed (ahead) until its start announces it.
   */
  newInstanceId(): string {
    const id = this.startIds.shift() ?? randomUUID();
    this.startIds.push(randomUUID());
    this.prospective.add(`${id}:1`);
    this.changedSinceWrite = true;
    return id;
  }

  /**
   * Lists commit `commitId` in the record. Resolves once a write listing it has landed and every later write lists
   * it too: only then may the commit be inserted. Every announcement ends with {@link finished}; for a step that
   * failed after committing, once the runtime has finished it in the background (if ever: else start-up recovery).
   */
  announce(commitId: string): Promise<void> {
    this.announced.set(commitId, (this.announced.get(commitId) ?? 0) + 1);
    this.prospective.delete(commitId);
    let written: Promise<void>;
    if (this.queued) written = this.queued; // starts later, so it lists the id
    else if (this.writing && this.inFlightList) written = this.inFlightList.has(commitId) ? this.writing : this.publish();
    else written = this.landedList.has(commitId) ? Promise.resolve() : this.publish();
    written.catch(() => undefined); // the step that awaits it sees the failure; nobody else must
    return written;
  }

  /**
   * The step's view is written, or it made no commit: recovery need not look at it. `next`: the instance's next
   * revision, to list ahead of its step.
   */
  finished(commitId: string, next?: string): void {
    const count = this.announced.get(commitId) ?? 0;
    if (count <= 1) this.announced.delete(commitId);
    else this.announced.set(commitId, count - 1);
    if (next && !this.announced.has(next)) {
      this.prospective.delete(next);
      this.prospective.add(next);
      if (this.prospective.size > MAX_PROSPECTIVE) this.prospective.delete(this.prospective.values().next().value as string);
    }
    this.changedSinceWrite = true;
  }

  /** Stops tidying; with nothing unfinished the record is removed, otherwise kept for the next start-up. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([this.writing, this.queued]);
    if (!this.announced.size) await this.servers.deleteOne({ _id: this.serverId });
    else {
      this.prospective.clear();
      this.startIds.length = 0;
      await this.publish();
    }
  }

  /** One write at a time, so that an older list never lands after a newer one; a call waits for a write that starts after it. */
  private publish(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.writing) {
      this.writing = this.write().finally(() => {
        this.writing = null;
      });
      return this.writing;
    }
    this.queued = this.writing
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.publish();
      });
    return this.queued;
  }

  private async write(): Promise<void> {
    const list = new Set([...this.announced.keys(), ...this.prospective, ...this.startIds.map((id) => `${id}:1`)]);
    this.inFlightList = list;
    this.changedSinceWrite = false;
    const at = new Date();
    try {
      await this.servers.updateOne({ _id: this.serverId }, { $set: { unfinished: [...list], at } }, { upsert: true });
      this.landedList = list;
      this.lastWrite = at.getTime();
    } catch (err) {
      // Whether it landed is unknown: nothing may count on either list until a later write lands.
      this.landedList = new Set();
      this.changedSinceWrite = true;
      throw err;
    } finally {
      this.inFlightList = null;
    }
  }
}

/** Instances whose next revision is listed ahead (see `prospective`), and start ids listed ahead. */
const MAX_PROSPECTIVE = 64;
const START_IDS = 8;

/**
 * The commits start-up recovery must finish: those the servers' records list, read by `_id`, and — once per
 * database — those marked `pending: true` by versions that marked each commit. Also the records of servers that are
 * gone, to be removed once their commits are finished.
 */
export async function unfinishedCommits(
  servers: Collection<ServerDoc>,
  commits: Collection<CommitDoc>,
): Promise<{ commits: Pick<CommitDoc, '_id' | 'instanceId' | 'rev' | 'pending'>[]; goneServers: string[]; legacyChecked: boolean }> {
  const records = await servers.find({}).toArray();
  const goneBefore = Date.now() - GONE_AFTER_MS;
  const ids = new Set<string>();
  const goneServers: string[] = [];
  let legacyChecked = false;
  for (const record of records) {
    // `#…`: markers of one-time work, not servers.
    if (record._id.startsWith('#')) {
      if (record._id === LEGACY_CHECKED) legacyChecked = true;
      continue;
    }
    for (const id of record.unfinished ?? []) ids.add(id);
    if (new Date(record.at).getTime() < goneBefore) goneServers.push(record._id);
  }
  const found: Pick<CommitDoc, '_id' | 'instanceId' | 'rev' | 'pending'>[] = [];
  for (const id of ids) {
    const commit = await commits.findOne({ _id: id }, { projection: { instanceId: 1, rev: 1, pending: 1 } });
    if (commit) found.push(commit);
  }
  if (!legacyChecked) {
    for (const commit of await commits.find({ pending: true }, { projection: { instanceId: 1, rev: 1, pending: 1 } }).toArray()) {
      if (!ids.has(commit._id)) found.push(commit);
    }
  }
  return { commits: found, goneServers, legacyChecked };
}

/** Records one-time work as done (`#…` in `servers`: a marker, not a server), so no start-up does it again. */
export async function writeMarker(servers: Collection<ServerDoc>, marker: `#${string}`): Promise<void> {
  await servers.updateOne({ _id: marker }, { $set: { unfinished: [], at: new Date() } }, { upsert: true });
}
