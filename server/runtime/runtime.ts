import type { Db } from 'mongodb';
import { collections as collectionsOf, secondaryIndexesServeQueries, type Collections } from '../db/collections.js';
import type { AuditDoc, InstanceDoc, TaskDoc } from '../db/types.js';
import type { Clock } from '../engine/clock.js';
import type { ServiceHandler } from '../services/types.js';
import type { Actor, DeployResult, InstanceQuery, InstanceView, RuntimeApi, TaskQuery } from './api.js';
import { DerivedWriter } from './apply.js';
import { cancelInstance, retryInstance } from './commands/admin.js';
import { claimTask, reassignTask, unclaimTask } from './commands/assign.js';
import { completeTask } from './commands/complete.js';
import { recallTask, returnTargets, returnTask } from './commands/return.js';
import { addSigners, cosignTask, recallHeld, settleHeldSubmissions, type AddSignersInput } from './commands/signers.js';
import {
  copyTask,
  DEFAULT_REMIND_INTERVAL_MINUTES,
  delegateTask,
  pendingSigners,
  remindTask,
  saveTaskDraft,
  transferTask,
  withdrawInstance,
} from './commands/approval.js';
import { checkStart, startInstance } from './commands/start.js';
import { fireDueTimers } from './commands/timers.js';
import { CommitLog } from './commit-log.js';
import { TaskDrafts } from './task-drafts.js';
import type { RuntimeContext } from './context.js';
import { DefinitionStore } from './definitions.js';
import { InstanceStore } from './instance-store.js';
import { OrgDirectory } from '../org/directory.js';
import { Mailbox } from './mailbox.js';
import { Queries } from './queries.js';
import { IndexedReadModel } from './read-model/indexed.js';
import { MemoryReadModel } from './read-model/memory.js';
import { canAct } from './task-input.js';
import { UnitOfWork, type UnitOfWorkOptions } from './unit-of-work.js';

/** How many instance views the embedded strategy keeps, so that the next step of an instance starts without a read. */
const KEPT_VIEWS = 500;

export type Strategy = 'embedded' | 'shared';
type StartInput = { businessKey?: string | null; variables?: Record<string, unknown>; unitId?: string | null };

export interface RuntimeOptions {
  db: Db;
  clock: Clock;
  services: Record<string, ServiceHandler>;
  /**
   * `embedded` (default): this server is the database's only one (main.ts holds its lease, owner-lease.ts); `shared`:
   * several servers on one database (docs/ARCHITECTURE.md, "Read side").
   */
  strategy?: Strategy;
  faults?: UnitOfWorkOptions['faults'];
  /** 催办 at most once per this many minutes per task (default {@link DEFAULT_REMIND_INTERVAL_MINUTES}). */
  remindIntervalMinutes?: number;
}

/**
 * The durable process runtime: each command is a unit of work (unit-of-work.ts) in its own file under commands/;
 * queries.ts answers reads; the read side (read-model/) serves inboxes, lists and timers. This class wires them.
 */
export class Runtime implements RuntimeApi {
  readonly collections: Collections;
  readonly definitions: DefinitionStore;
  readonly strategy: Strategy;
  /** The organisation tree and its roles, as the runtime scopes tasks by it (server/org). */
  readonly org: OrgDirectory;
  readonly mailbox: Mailbox;
  readonly remindIntervalMinutes: number;
  private readonly ctx: RuntimeContext;
  private readonly queries: Queries;

  private constructor(options: RuntimeOptions, indexedReads: boolean) {
    this.strategy = options.strategy ?? 'embedded';
    this.collections = collectionsOf(options.db);
    const embedded = this.strategy === 'embedded';
    this.definitions = new DefinitionStore(this.collections, new Set(Object.keys(options.services)), embedded);
    const readModel = embedded ? new MemoryReadModel(this.collections) : new IndexedReadModel(this.collections);
    const work = new UnitOfWork({
      store: new InstanceStore(this.collections.instances, embedded ? KEPT_VIEWS : 0),
      log: new CommitLog(this.collections.commits, embedded),
      derived: new DerivedWriter(this.collections),
      readModel,
      ...(options.faults ? { faults: options.faults } : {}),
    });
    this.org = new OrgDirectory(this.collections);
    this.mailbox = new Mailbox(this.collections);
    this.remindIntervalMinutes = options.remindIntervalMinutes ?? DEFAULT_REMIND_INTERVAL_MINUTES;
    const taskDrafts = new TaskDrafts(this.collections.taskDrafts, embedded);
    this.ctx = { collections: this.collections, definitions: this.definitions, clock: options.clock, services: options.services, work, readModel, indexedReads, org: this.org, mailbox: this.mailbox, taskDrafts };
    this.queries = new Queries(this.ctx);
  }

  /** Finishes every unfinished step (start-up recovery), then fills the read side. */
  static async create(options: RuntimeOptions): Promise<Runtime> {
    const runtime = new Runtime(options, await secondaryIndexesServeQueries(options.db));
    await runtime.ctx.work.recover();
    await runtime.ctx.readModel.open();
    await runtime.ctx.taskDrafts.open();
    await settleHeldSubmissions(runtime.ctx, runtime.queries);
    return runtime;
  }

  get clock(): Clock {
    return this.ctx.clock;
  }
  /** Stops background work; the runtime still answers. */
  stop = (): void => this.ctx.work.stop();
  /** Waits for every write asked for so far. */
  flush = (): Promise<void> => this.ctx.work.flush();

  /** For a clean shutdown, once no more requests come. */
  async close(): Promise<void> {
    this.stop();
    await this.flush();
  }

  // ── processes ──
  async deploy(xml: string, actor: Actor | null): Promise<DeployResult> {
    const { doc, created } = await this.definitions.deploy(xml, actor);
    return { key: doc.key, version: doc.version, created, definition: doc };
  }
  listProcesses = () => this.queries.listProcesses();
  getProcessVersions = (key: string) => this.queries.getProcessVersions(key);
  getDefinition = (key: string, version?: number) => (version === undefined ? this.definitions.latest(key) : this.definitions.byVersion(key, version));

  // ── instances ──
  startInstance = (key: string, input: StartInput, actor: Actor, options: { rejectUnknownFields?: boolean } = {}) =>
    startInstance(this.ctx, this.queries, key, input, actor, options);
  checkStart = async (key: string, input: StartInput, actor: Actor): Promise<void> => {
    await checkStart(this.ctx, key, input, actor);
  };
  getInstance = (id: string): Promise<InstanceView> => this.queries.getInstance(id);
  listInstances = (query: InstanceQuery) => this.queries.listInstances(query);
  countInstances = () => this.queries.countInstances();
  getAudit = (instanceId: string) => this.queries.getAudit(instanceId);
  caseOf = (instance: Pick<InstanceDoc, 'definitionId'>, history: AuditDoc[]) => this.queries.caseOf(instance, history);
  getSignoffs = (instanceId: string, history?: AuditDoc[]) => this.queries.getSignoffs(instanceId, history);
  retry = async (instanceId: string, actor: Actor, reason: string) => (await retryInstance(this.ctx, instanceId, actor, reason), this.getInstance(instanceId));
  cancel = async (instanceId: string, actor: Actor, reason: string) => (await cancelInstance(this.ctx, instanceId, actor, reason), this.getInstance(instanceId));
  fireDueTimers = (): Promise<number> => fireDueTimers(this.ctx);

  // ── tasks ──
  listTasks = (actor: Actor, query: TaskQuery): Promise<TaskDoc[]> => this.queries.listTasks(actor, query);
  countTasks = (actor: Actor) => this.queries.countTasks(actor);
  getTask = (id: string): Promise<TaskDoc> => this.queries.getTask(id);
  canAct = (task: TaskDoc, actor: Actor): boolean => canAct(task, actor);
  taskContext = (task: TaskDoc) => this.queries.taskContext(task);
  claim = (taskId: string, actor: Actor) => claimTask(this.ctx, this.queries, taskId, actor);
  unclaim = (taskId: string, actor: Actor) => unclaimTask(this.ctx, this.queries, taskId, actor);
  reassign = (taskId: string, assignee: string | null, actor: Actor, reason: string) => reassignTask(this.ctx, this.queries, taskId, assignee, actor, reason);
  complete = (taskId: string, input: unknown, actor: Actor, options: { rejectUnknownFields?: boolean } = {}) =>
    completeTask(this.ctx, this.queries, taskId, input, actor, options);

  // ── approval actions ──
  transfer = (taskId: string, to: unknown, reason: unknown, actor: Actor) => transferTask(this.ctx, this.queries, taskId, to, reason, actor);
  delegate = (taskId: string, to: unknown, reason: unknown, actor: Actor) => delegateTask(this.ctx, this.queries, taskId, to, reason, actor);
  returnTo = (taskId: string, targetElementId: unknown, reason: unknown, actor: Actor) => returnTask(this.ctx, this.queries, taskId, targetElementId, reason, actor);
  returnTargets = (task: TaskDoc) => returnTargets(this.ctx, this.queries, task);
  addSigners = (taskId: string, input: AddSignersInput, actor: Actor) => addSigners(this.ctx, this.queries, taskId, input, actor);
  cosign = (taskId: string, input: { decision?: unknown; opinion?: unknown }, actor: Actor) => cosignTask(this.ctx, this.queries, taskId, input, actor);
  pendingSigners = (task: TaskDoc) => pendingSigners(this.ctx, task);
  recall = async (taskId: string, reason: unknown, actor: Actor) => {
    const task = await this.queries.getTask(taskId);
    if (task.status === 'open' && task.held) return recallHeld(this.ctx, this.queries, task, reason, actor);
    const again = await recallTask(this.ctx, this.queries, taskId, reason, actor);
    return again.assignee ? again : claimTask(this.ctx, this.queries, again._id, actor);
  };
  withdraw = async (instanceId: string, reason: unknown, actor: Actor) => {
    await withdrawInstance(this.ctx, instanceId, reason, actor, await this.queries.getAudit(instanceId));
    return this.getInstance(instanceId);
  };
  copy = (taskId: string, input: { users?: unknown; groups?: unknown; note?: unknown }, actor: Actor) => copyTask(this.ctx, this.queries, taskId, input, actor);
  remind = (taskId: string, actor: Actor) => remindTask(this.ctx, this.queries, taskId, actor, this.remindIntervalMinutes);
  saveDraft = (taskId: string, values: unknown, actor: Actor) => saveTaskDraft(this.ctx, this.queries, taskId, values, actor);
  getDraft = (taskId: string, userId: string) => this.ctx.taskDrafts.get(taskId, userId);
  copiesFor = (userId: string, limit = 100) => this.collections.copies.find({ user: userId }).sort({ at: -1 }).limit(Math.min(Math.max(limit, 1), 500)).toArray();
  isCopiedTo = async (instanceId: string, userId: string) => !!(await this.collections.copies.findOne({ _id: `${instanceId}:${userId}` }, { projection: { _id: 1 } }));
  messages = async (actor: Actor) => {
    const [mine, offered] = await Promise.all([
      this.listTasks(actor, { scope: 'mine', limit: 200 }),
      this.listTasks(actor, { scope: 'candidate', limit: 200 }),
    ]);
    const items = await this.mailbox.list(actor.id, [...mine, ...offered], this.clock.now());
    return { items, unread: items.filter((m) => !m.read).length };
  };
  markMessageRead = (actor: Actor, id: string) => this.mailbox.markRead(actor.id, id);
  markAllMessagesRead = (actor: Actor) => this.mailbox.markAllRead(actor.id, this.clock.now());

  // ── notices ──
  listNotices = (query: { current?: boolean; limit?: number; unitWithin?: string }) => this.queries.listNotices(query);
  getNotice = (id: string) => this.queries.getNotice(id);
}
