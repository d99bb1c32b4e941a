import type { Collection, CreateIndexesOptions, Db, GridFSChunk, GridFSFile, IndexSpecification } from 'mongodb';
import type {
  AuditDoc,
  CommitDoc,
  DefinitionDoc,
  InstanceDoc,
  LeaseDoc,
  NoticeDoc,
  SignoffDoc,
  TaskDoc,
  UnitDoc,
  OrgAuditDoc,
  MailboxDoc,
  CopyDoc,
  ReminderDoc,
  TaskDraftDoc,
  UserDoc,
} from './types.js';

/** Collection names of the runtime state model (docs/ARCHITECTURE.md). */
export const COLLECTION_NAMES = {
  definitions: 'definitions',
  instances: 'instances',
  tasks: 'tasks',
  audit: 'audit',
  notices: 'notices',
  signoffs: 'signoffs',
  users: 'users',
  /** Owned by connect-mongo (express-session store); no typed accessor here. */
  sessions: 'sessions',
  commits: 'commits',
  leases: 'leases',
  units: 'units',
  orgAudit: 'orgAudit',
  mailboxes: 'mailboxes',
  copies: 'copies',
  reminders: 'reminders',
  taskDrafts: 'taskDrafts',
  /** The GridFS bucket `attachments` (server/records/attachments.ts): files with their metadata, and their bytes. */
  attachmentFiles: 'attachments.files',
  attachmentChunks: 'attachments.chunks',
} as const;

export interface Collections {
  definitions: Collection<DefinitionDoc>;
  instances: Collection<InstanceDoc>;
  tasks: Collection<TaskDoc>;
  audit: Collection<AuditDoc>;
  notices: Collection<NoticeDoc>;
  signoffs: Collection<SignoffDoc>;
  users: Collection<UserDoc>;
  commits: Collection<CommitDoc>;
  leases: Collection<LeaseDoc>;
  units: Collection<UnitDoc>;
  orgAudit: Collection<OrgAuditDoc>;
  mailboxes: Collection<MailboxDoc>;
  copies: Collection<CopyDoc>;
  reminders: Collection<ReminderDoc>;
  taskDrafts: Collection<TaskDraftDoc>;
  attachmentFiles: Collection<GridFSFile>;
  attachmentChunks: Collection<GridFSChunk>;
}

export function collections(db: Db): Collections {
  return {
    definitions: db.collection<DefinitionDoc>(COLLECTION_NAMES.definitions),
    instances: db.collection<InstanceDoc>(COLLECTION_NAMES.instances),
    tasks: db.collection<TaskDoc>(COLLECTION_NAMES.tasks),
    audit: db.collection<AuditDoc>(COLLECTION_NAMES.audit),
    notices: db.collection<NoticeDoc>(COLLECTION_NAMES.notices),
    signoffs: db.collection<SignoffDoc>(COLLECTION_NAMES.signoffs),
    users: db.collection<UserDoc>(COLLECTION_NAMES.users),
    commits: db.collection<CommitDoc>(COLLECTION_NAMES.commits),
    leases: db.collection<LeaseDoc>(COLLECTION_NAMES.leases),
    units: db.collection<UnitDoc>(COLLECTION_NAMES.units),
    orgAudit: db.collection<OrgAuditDoc>(COLLECTION_NAMES.orgAudit),
    mailboxes: db.collection<MailboxDoc>(COLLECTION_NAMES.mailboxes),
    copies: db.collection<CopyDoc>(COLLECTION_NAMES.copies),
    reminders: db.collection<ReminderDoc>(COLLECTION_NAMES.reminders),
    taskDrafts: db.collection<TaskDraftDoc>(COLLECTION_NAMES.taskDrafts),
    attachmentFiles: db.collection<GridFSFile>(COLLECTION_NAMES.attachmentFiles),
    attachmentChunks: db.collection<GridFSChunk>(COLLECTION_NAMES.attachmentChunks),
  };
}

interface IndexDef {
  collection: keyof Collections;
  key: IndexSpecification & Record<string, 1 | -1>;
  options: CreateIndexesOptions & { name: string };
}

/**
 * Every index, with a fixed name so `ensureIndexes` is idempotent.
 * Only what FerretDB 1.x (SQLite) supports: plain and unique ascending/descending keys.
 * No TTL (`expireAfterSeconds`), no partial indexes; `sparse` is accepted but ignored by FerretDB.
 */
export const INDEXES: readonly IndexDef[] = [
  { collection: 'definitions', key: { key: 1, version: 1 }, options: { name: 'key_version', unique: true } },
  { collection: 'definitions', key: { key: 1, hash: 1 }, options: { name: 'key_hash' } },

  // Instance lists (newest first, by status, process, starter, business key) and the timer poller.
  { collection: 'instances', key: { startedAt: -1 }, options: { name: 'startedAt' } },
  { collection: 'instances', key: { status: 1, processKey: 1, startedAt: -1 }, options: { name: 'status_processKey_startedAt' } },
  { collection: 'instances', key: { processKey: 1, startedAt: -1 }, options: { name: 'processKey_startedAt' } },
  { collection: 'instances', key: { startedBy: 1, startedAt: -1 }, options: { name: 'startedBy_startedAt' } },
  { collection: 'instances', key: { businessKey: 1 }, options: { name: 'businessKey' } },
  { collection: 'instances', key: { nextTimerAt: 1 }, options: { name: 'nextTimerAt' } },
  // A unit's cases and its subtree's (辖区案件), and whether a unit still has running cases.
  { collection: 'instances', key: { unitPath: 1, startedAt: -1 }, options: { name: 'unitPath_startedAt' } },

  // Inboxes (open tasks by group, user or holder, newest first), 已办, an instance's tasks.
  { collection: 'tasks', key: { status: 1, candidateGroups: 1, createdAt: -1 }, options: { name: 'status_candidateGroups_createdAt' } },
  { collection: 'tasks', key: { status: 1, candidateUsers: 1, createdAt: -1 }, options: { name: 'status_candidateUsers_createdAt' } },
  { collection: 'tasks', key: { status: 1, assignee: 1, createdAt: -1 }, options: { name: 'status_assignee_createdAt' } },
  { collection: 'tasks', key: { status: 1, createdAt: -1 }, options: { name: 'status_createdAt' } },
  // 待我签署: open tasks a user was added to as a signer (加签).
  { collection: 'tasks', key: { status: 1, cosigners: 1, createdAt: -1 }, options: { name: 'status_cosigners_createdAt' } },
  // Start-up: submissions waiting for their signers (后加签) whose last signature may not have completed them.
  { collection: 'tasks', key: { status: 1, 'held.round': 1 }, options: { name: 'status_heldRound' } },
  { collection: 'tasks', key: { completedBy: 1, completedAt: -1 }, options: { name: 'completedBy_completedAt' } },
  { collection: 'tasks', key: { instanceId: 1 }, options: { name: 'instanceId' } },

  { collection: 'audit', key: { instanceId: 1, at: 1 }, options: { name: 'instanceId_at' } },
  { collection: 'signoffs', key: { instanceId: 1, at: 1 }, options: { name: 'instanceId_at' } },
  { collection: 'notices', key: { publishedAt: -1 }, options: { name: 'publishedAt' } },
  { collection: 'notices', key: { endAt: 1 }, options: { name: 'endAt' } },
  { collection: 'notices', key: { unitPath: 1, publishedAt: -1 }, options: { name: 'unitPath_publishedAt' } },

  { collection: 'users', key: { username: 1 }, options: { name: 'username', unique: true } },
  { collection: 'users', key: { unitId: 1 }, options: { name: 'unitId' } },
  { collection: 'units', key: { parentId: 1 }, options: { name: 'parentId' } },
  { collection: 'orgAudit', key: { at: -1 }, options: { name: 'at' } },
  // 抄送我的, and who a case was copied to (they may see it).
  { collection: 'copies', key: { user: 1, at: -1 }, options: { name: 'user_at' } },
  { collection: 'copies', key: { instanceId: 1 }, options: { name: 'instanceId' } },
  // A case's attachments; the chunks' index is the one GridFS itself requires (same name, so the driver finds it).
  { collection: 'attachmentFiles', key: { 'metadata.instanceId': 1, uploadDate: 1 }, options: { name: 'metadata.instanceId_uploadDate' } },
  // The driver creates this one with a bucket's first file; declared so that FerretDB, where it serves no read, drops it.
  { collection: 'attachmentFiles', key: { filename: 1, uploadDate: 1 }, options: { name: 'filename_1_uploadDate_1' } },
  { collection: 'attachmentChunks', key: { files_id: 1, n: 1 }, options: { name: 'files_id_1_n_1', unique: true } },
  // Unfinished steps (shared strategy): only commits that carry `open` are in this index.
  { collection: 'commits', key: { open: 1 }, options: { name: 'open', sparse: true } },
];

/**
 * Creates the collections' missing indexes; safe to call at every start-up.
 *
 * On a database that answers queries without secondary indexes (FerretDB 1.24 with SQLite: see
 * {@link secondaryIndexesServeQueries}) only the unique ones are kept — they enforce a rule — and the others are
 * not created, or dropped if an earlier version created them: there they serve no read and cost every write
 * (SQLite re-evaluates each index expression on the document's JSON at every insert and update; dropping them cut
 * FerretDB's CPU per task completion by a sixth). On MongoDB every index is created.
 *
 * Indexes are created one at a time and only when no index of that name exists: FerretDB 1.24
 * panics ("runtime error: slice bounds out of range [:2:1]", connection closed) when one
 * `createIndexes` command lists two or more indexes that already exist.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  // Every collection exists from the start (as when each had an index), so that none is first created by two
  // concurrent writes.
  const present = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const name of Object.values(COLLECTION_NAMES)) {
    if (present.has(name) || name === COLLECTION_NAMES.sessions) continue;
    await db.createCollection(name).catch((err: { code?: number }) => {
      if (err.code !== 48) throw err; // NamespaceExists: another server created it just now
    });
  }
  const secondaryUseful = await secondaryIndexesServeQueries(db);
  const existingByCollection = new Map<string, Set<string>>();
  for (const def of INDEXES) {
    const name = COLLECTION_NAMES[def.collection];
    let existing = existingByCollection.get(name);
    if (!existing) {
      existing = await indexNames(db, name);
      existingByCollection.set(name, existing);
    }
    if (!def.options.unique && !secondaryUseful) {
      if (existing.has(def.options.name)) await db.collection(name).dropIndex(def.options.name);
      existing.delete(def.options.name);
      continue;
    }
    if (existing.has(def.options.name)) continue;
    await db.collection(name).createIndex(def.key, def.options);
    existing.add(def.options.name);
  }
}

/**
 * Whether the database uses secondary indexes to answer queries. FerretDB 1.24's SQLite backend answers every
 * filter except `{ _id }` by reading and decoding the whole collection, and its `explain` says so with
 * `filterPushdown: false` (a FerretDB field; MongoDB's explain has none, and uses its indexes).
 */
export async function secondaryIndexesServeQueries(db: Db): Promise<boolean> {
  try {
    const plan = await db.command({ explain: { find: COLLECTION_NAMES.instances, filter: { status: 'running' } }, verbosity: 'queryPlanner' });
    return plan.filterPushdown !== false;
  } catch {
    return true; // when in doubt, keep the indexes
  }
}

async function indexNames(db: Db, collection: string): Promise<Set<string>> {
  try {
    const list = await db.collection(collection).listIndexes().toArray();
    return new Set(list.map((i) => String(i.name)));
  } catch (err) {
    // NamespaceNotFound: the collection does not exist yet.
    if ((err as { code?: number }).code === 26) return new Set();
    throw err;
  }
}
