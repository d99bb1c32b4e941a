import { hostname } from 'node:os';
import type { Collection } from 'mongodb';
import type { LeaseDoc } from '../db/types.js';

const LEASE_ID = 'embedded-owner';
/** How often the owner says it is alive, and after how long without that another server may take over (ms). */
const HEARTBEAT_MS = 10_000;
const STALE_AFTER_MS = 60_000;

/** Another server holds the database: the embedded strategy keeps state in memory that only one server may keep. */
export class DatabaseInUse extends Error {
  constructor(readonly holder: Pick<LeaseDoc, 'host' | 'pid' | 'at'>) {
    super(
      `数据库正由另一个服务器进程使用（主机 ${holder.host}，进程 ${holder.pid}，最近心跳 ${new Date(holder.at).toISOString()}）。` +
        '内置模式下同一数据库只能由一个服务器使用；要在多台服务器上运行，请设置 MONGODB_URI（共享模式，见 docs/DATABASE.md）。\n' +
        `The database is in use by another server (host ${holder.host}, pid ${holder.pid}). In the embedded strategy one server owns ` +
        'its database; to run several servers set MONGODB_URI (shared strategy).',
    );
    this.name = 'DatabaseInUse';
  }
}

/**
 * The embedded strategy's claim to be the database's only server: one lease document, taken by a unique insert (the
 * one atomic write on FerretDB) and kept alive by a heartbeat. A lease left by a process that is gone — on this host
 * and no longer running, or silent for a minute — is taken over, so a server restarted after a crash starts at once.
 */
export class OwnerLease {
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly leases: Collection<LeaseDoc>,
    private readonly doc: LeaseDoc,
  ) {}

  static async acquire(leases: Collection<LeaseDoc>, now: () => Date = () => new Date()): Promise<OwnerLease> {
    const doc: LeaseDoc = { _id: LEASE_ID, host: hostname(), pid: process.pid, at: now() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await leases.insertOne(doc);
        const lease = new OwnerLease(leases, doc);
        lease.timer = setInterval(() => void leases.updateOne({ _id: LEASE_ID }, { $set: { at: now() } }).catch(() => undefined), HEARTBEAT_MS).unref();
        return lease;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      const holder = await leases.findOne({ _id: LEASE_ID });
      if (!holder) continue;
      if (!isGone(holder, now())) throw new DatabaseInUse(holder);
      await leases.deleteOne({ _id: LEASE_ID, pid: holder.pid, at: holder.at });
    }
    throw new Error('could not take the database lease');
  }

  /** Gives the database up (a clean shutdown), so that the next server need not wait. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.leases.deleteOne({ _id: LEASE_ID, pid: this.doc.pid });
  }
}

function isGone(holder: LeaseDoc, now: Date): boolean {
  if (now.getTime() - new Date(holder.at).getTime() > STALE_AFTER_MS) return true;
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return true; // this process, from an earlier runtime of its own
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
