import { randomBytes } from 'node:crypto';
import type { Collection, Filter } from 'mongodb';
import type { CommitDoc, ServerDoc } from '../db/types.js';

/** How often a server publishes which of its commits are finished (ms). */
const PUBLISH_MS = 1_000;
/** A server record not refreshed for this long belongs to a server that is gone (ms). */
const GONE_AFTER_MS = 10 * 60_000;
/** Refresh the record at least this often, even when nothing changed, so that it does not look gone (ms). */
const REFRESH_MS = 60_000;
/** Stranded commits a server names at most; beyond, the oldest are dropped (with a warning). */
const MAX_STRANDED = 1_000;

/**
 * Which of a server's commits might be unfinished (committed, but derived writes or view not yet written), so that
 * start-up recovery can finish exactly those, without a write per step to mark each commit finished.
 *
 * Each server stamps its commits with its id and a sequence number, and keeps its record in `servers`:
 * `settledBelow` (every commit of this server with a lower number is finished) and `stranded` (commits whose step
 * failed after committing, left for recovery). The record is written before the server's first commit and then
 * once a second when it changed, so a server killed at any moment leaves a record that covers every commit it may
 * not have finished: those numbered from `settledBelow` on, and the stranded ones. Recovery may find finished
 * commits among them too (the record lags by up to a second); finishing a finished step changes nothing.
 */
export class StepJournal {
  readonly serverId = `s-${randomBytes(6).toString('hex')}`;
  private nextSeq = 1;
  private readonly inFlight = new Set<number>();
  private stranded: string[] = [];
  private published: { settledBelow: number; stranded: number; at: number } | null = null;
  private publishing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly servers: Collection<ServerDoc>) {}

  /** Writes this server's record; before the first commit. */
  async open(): Promise<void> {
    await this.publish(true);
    this.timer = setInterval(() => void this.publish().catch(() => undefined), PUBLISH_MS).unref();
  }

  /** The stamp of a commit about to be inserted; the step must end with {@link finished} or {@link strand}. */
  begin(): { by: string; seq: number } {
    const seq = this.nextSeq++;
    this.inFlight.add(seq);
    return { by: this.serverId, seq };
  }

  /** The step's view is written (or its commit was never made): recovery need not look at it. */
  finished(seq: number): void {
    this.inFlight.delete(seq);
  }

  /** The step failed after its commit: recovery (or the next reader of the instance) finishes it. */
  strand(seq: number, commitId: string): void {
    this.inFlight.delete(seq);
    this.stranded.push(commitId);
    if (this.stranded.length > MAX_STRANDED) {
      const dropped = this.stranded.splice(0, this.stranded.length - MAX_STRANDED);
      console.warn(`[runtime] ${dropped.length} stranded commits no longer listed for recovery; they are finished when their instance is next read`);
    }
  }

  /** Stops publishing; with nothing left unfinished the record is removed, otherwise kept for recovery. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.publishing;
    if (!this.inFlight.size && !this.stranded.length) await this.servers.deleteOne({ _id: this.serverId });
    else await this.publish(true);
  }

  private settledBelow(): number {
    let low = this.nextSeq;
    for (const seq of this.inFlight) if (seq < low) low = seq;
    return low;
  }

  /** Writes the record if it changed (or is due a refresh, or `force`); also runs once a second by itself. */
  async publish(force = false): Promise<void> {
    if (this.publishing) return this.publishing;
    const settledBelow = this.settledBelow();
    const now = Date.now();
    const last = this.published;
    if (!force && last && last.settledBelow === settledBelow && last.stranded === this.stranded.length && now - last.at < REFRESH_MS) return;
    const stranded = [...this.stranded];
    // Writes one at a time, so that an older value never lands after a newer one.
    this.publishing = this.servers
      .updateOne({ _id: this.serverId }, { $set: { settledBelow, stranded, at: new Date(now) } }, { upsert: true })
      .then(() => {
        this.published = { settledBelow, stranded: stranded.length, at: now };
      })
      .finally(() => {
        this.publishing = null;
      });
    return this.publishing;
  }
}

/**
 * The commits start-up recovery must look at: those every server's record says may be unfinished, and those
 * marked pending by versions that marked each commit (`pending: true`). One query, so FerretDB reads the commits
 * once. Also returns the records of servers that are gone, to be removed once their commits are finished.
 */
export async function unfinishedCommits(
  servers: Collection<ServerDoc>,
  commits: Collection<CommitDoc>,
): Promise<{ commits: Pick<CommitDoc, '_id' | 'instanceId' | 'rev' | 'pending'>[]; goneServers: string[] }> {
  const records = await servers.find({}).toArray();
  const clauses: Filter<CommitDoc>[] = [{ pending: true }];
  const stranded: string[] = [];
  for (const record of records) {
    clauses.push({ by: record._id, seq: { $gte: record.settledBelow } });
    stranded.push(...(record.stranded ?? []));
  }
  if (stranded.length) clauses.push({ _id: { $in: stranded } });
  const found = await commits.find({ $or: clauses }, { projection: { instanceId: 1, rev: 1, pending: 1 } }).toArray();
  const goneBefore = Date.now() - GONE_AFTER_MS;
  return { commits: found, goneServers: records.filter((r) => new Date(r.at).getTime() < goneBefore).map((r) => r._id) };
}
