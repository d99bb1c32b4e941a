import type { Collections } from '../db/collections.js';
import type { MailboxDoc, StoredMessage, TaskDoc } from '../db/types.js';
import { KeyedLock } from './keyed-lock.js';

/** How many stored messages a mailbox keeps (the oldest go first). */
export const MAILBOX_SIZE = 100;
/** How many computed notices are remembered as read one by one. */
const READ_IDS = 300;
/** A due date this close counts as approaching (即将到期). */
export const DUE_SOON_MS = 24 * 60 * 60 * 1000;

/** A message as the 站内消息 list shows it: stored ones, and the notices computed from the inbox. */
export interface Message {
  id: string;
  kind: StoredMessage['kind'] | 'task' | 'due-soon' | 'overdue';
  title: string;
  text: string | null;
  instanceId: string | null;
  taskId: string | null;
  by: string | null;
  at: Date;
  read: boolean;
}

/**
 * 站内消息: one document per user (`mailboxes/<user>`), read by `_id` on every page for the unread count. Reminders,
 * copies, returns, transfers and delegations are stored there; new tasks and approaching or passed due dates are not
 * stored but computed from the user's inbox, so a step's unit of work writes nothing more for them.
 *
 * A mailbox changes by read-modify-write with a revision guard (`{_id, rev}`): atomic on MongoDB; on FerretDB,
 * whose conditional updates are not atomic across connections, this server's per-user lock keeps its own writers in
 * line (the embedded strategy has one server).
 */
export class Mailbox {
  private readonly lock = new KeyedLock();

  constructor(private readonly collections: Pick<Collections, 'mailboxes'>) {}

  /** Adds a message unless the mailbox has one with its id. */
  deliver(user: string, message: Omit<StoredMessage, 'read'>): Promise<void> {
    return this.change(user, (doc) => {
      if (doc.messages.some((m) => m.id === message.id)) return false;
      doc.messages = [{ ...message, read: false }, ...doc.messages].slice(0, MAILBOX_SIZE);
      return true;
    });
  }

  /** Marks one message read: a stored one, or a computed notice by its id. */
  markRead(user: string, id: string): Promise<void> {
    return this.change(user, (doc) => {
      const stored = doc.messages.find((m) => m.id === id);
      if (stored) {
        if (stored.read) return false;
        stored.read = true;
        return true;
      }
      if (doc.readIds.includes(id)) return false;
      doc.readIds = [...doc.readIds, id].slice(-READ_IDS);
      return true;
    });
  }

  /** Marks everything up to `now` read. */
  markAllRead(user: string, now: Date): Promise<void> {
    return this.change(user, (doc) => {
      doc.messages = doc.messages.map((m) => ({ ...m, read: true }));
      doc.readUntil = now;
      doc.readIds = [];
      return true;
    });
  }

  get(user: string): Promise<MailboxDoc | null> {
    return this.collections.mailboxes.findOne({ _id: user });
  }

  /**
   * The user's messages, newest first: the stored ones, and a notice for each open task offered to them (新待办) and
   * each whose due date is near or passed, from `tasks` (their inbox, newest first).
   */
  async list(user: string, tasks: readonly TaskDoc[], now: Date): Promise<Message[]> {
    const doc = await this.get(user);
    const readUntil = doc?.readUntil ? new Date(doc.readUntil).getTime() : 0;
    const readIds = new Set(doc?.readIds ?? []);
    const computed: Message[] = [];
    for (const t of tasks) {
      const created = new Date(t.createdAt);
      const base = { instanceId: t.instanceId, taskId: t._id, by: null };
      const label = `${t.name}${t.businessKey ? `（${t.businessKey}）` : ''}`;
      computed.push({ ...base, id: `task:${t._id}`, kind: 'task', title: `新待办：${label}`, text: t.processName, at: created, read: created.getTime() <= readUntil || readIds.has(`task:${t._id}`) });
      if (!t.dueAt) continue;
      const due = new Date(t.dueAt);
      if (due.getTime() < now.getTime()) {
        computed.push({ ...base, id: `overdue:${t._id}`, kind: 'overdue', title: `已逾期：${label}`, text: null, at: due, read: readIds.has(`overdue:${t._id}`) || due.getTime() <= readUntil });
      } else if (due.getTime() - now.getTime() <= DUE_SOON_MS) {
        const at = new Date(due.getTime() - DUE_SOON_MS);
        computed.push({ ...base, id: `due:${t._id}`, kind: 'due-soon', title: `即将到期：${label}`, text: null, at, read: readIds.has(`due:${t._id}`) || at.getTime() <= readUntil });
      }
    }
    const stored: Message[] = (doc?.messages ?? []).map((m) => ({ ...m, at: new Date(m.at) }));
    return [...stored, ...computed].sort((a, b) => b.at.getTime() - a.at.getTime());
  }

  private change(user: string, edit: (doc: MailboxDoc) => boolean): Promise<void> {
    return this.lock.run(user, async () => {
      for (;;) {
        const found = await this.collections.mailboxes.findOne({ _id: user });
        const doc: MailboxDoc = found ?? { _id: user, rev: 0, messages: [], readUntil: null, readIds: [] };
        const before = doc.rev;
        if (!edit(doc)) return;
        if (!found) {
          try {
            await this.collections.mailboxes.insertOne({ ...doc, rev: 1 });
            return;
          } catch (err) {
            if ((err as { code?: number }).code === 11000) continue; // written by another server just now
            throw err;
          }
        }
        const { _id, ...rest } = doc;
        const result = await this.collections.mailboxes.updateOne({ _id, rev: before }, { $set: { ...rest, rev: before + 1 } });
        if (result.matchedCount) return;
      }
    });
  }
}
