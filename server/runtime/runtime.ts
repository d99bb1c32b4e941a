import type { Db, Filter } from 'mongodb';
import { collections as collectionsOf, secondaryIndexesServeQueries, type Collections } from '../db/collections.js';
import type { AuditDoc, DueTimerDoc, InstanceDoc, InstanceStatus, InstanceSummaryDoc, OutboxOp, SignoffDoc, TaskDoc } from '../db/types.js';
import type { Clock } from '../engine/clock.js';
import { EngineFailure, runStep, sanitizeVariables, TaskNotWaiting, type StepAction, type StepResult } from '../engine/run-step.js';
import { scopedVariables } from '../engine/scopes.js';
import type { FormSchema } from '../forms/schema.js';
import { validateFormValues } from '../forms/validate.js';
import type { ServiceHandler } from '../services/types.js';
import {
  RuntimeError,
  type Actor,
  type DeployResult,
  type InstanceQuery,
  type InstanceView,
  type ProcessSummary,
  type RuntimeApi,
  type TaskQuery,
} from './api.js';
import { DefinitionStore, type RunnableDefinition } from './definitions.js';
import { deriveStep, timerIndexOp, type OpenTaskRef, type StepContext } from './derive.js';
import { ViewCache } from './view-cache.js';
import { drainWriters, writersFor, type Writers } from './writers.js';
import { applyOutbox, commitFields, decodeCommitPayload, flushLegacyOutbox, type CommitPayload } from './outbox.js';
import { TaskCache } from './task-cache.js';
import { engineStateFromStore, engineStateToStore } from './packed.js';
import { TaskFeed, taskChangeOf } from './task-feed.js';
import { OpenTaskIndex, TASK_FIELDS_PROJECTION, type TaskFields, type TaskFilter } from './task-index.js';
import { LEGACY_CHECKED, StepJournal, unfinishedCommits, writeMarker } from './step-journal.js';

const MAX_ATTEMPTS = 30;
const PAGE_LIMIT = 200;
/** Due timers fired at once by one poller run; two servers share the work (and the commit log decides). */
const TIMER_CONCURRENCY = 8;
const TIMER_BATCH = 200;
const BACKFILL_MARKER = '#backfilled';
/** In `servers`: the instance list has an entry for every instance (see backfillInstanceList). */
const INSTANCE_LIST_BACKFILLED = '#instancelist-backfilled';
/** The longest history returned, and how many revisions' entries are read at once (FerretDB). */
const AUDIT_LIMIT = 5000;
const AUDIT_READERS = 8;
/** Settling (see `settle`) waits this long so that many steps' settles share one command. */
const SETTLE_DELAY_MS = 50;
/** A step whose writes failed after its commit is finished in the background: first try after this, then doubling. */
const FINISH_RETRY_MS = 250;
const FINISH_RETRY_MAX_MS = 30_000;
const FINISH_ATTEMPTS = 12;

type StoredInstance = InstanceDoc & { openTasks?: OpenTaskRef[]; incidents?: { elementId: string; message: string; at: Date; detail?: string | null }[] };

/** What a committed step wrote: the instance as before, the fields it set and its derived writes. */
interface Committed {
  doc: StoredInstance;
  set: Partial<StoredInstance>;
  outbox: OutboxOp[];
}

export interface RuntimeOptions {
  db: Db;
  clock: Clock;
  services: Record<string, ServiceHandler>;
  /**
   * Fault injection for tests. `afterCommit`: between a step's commit and its derived writes, as if the server died
   * there (nothing finishes the step but a reader or the next start-up). `beforeView`: after the derived writes, as
   * if the view's write failed (the runtime finishes the step in the background).
   */
  faults?: { afterCommit?: () => void; beforeView?: () => void };
  /** How often the task feed is read and pruned in the background (ms); 0: only when tasks are listed. */
  feedPollMs?: number;
}

/**
 * The durable process runtime. Each command loads one instance, runs one engine step and commits the result by
 * inserting `commits/<id>:<rev>` (a lost race is retried from a fresh read). Derived records (tasks, audit, notices,
 * sign-offs, the timer index) travel in the commit and are applied idempotently, then the instance document (the
 * view) is written. Every database access on the way is by `_id`.
 */
export class Runtime implements RuntimeApi {
  readonly collections: Collections;
  readonly definitions: DefinitionStore;
  /** The open tasks, for inboxes and counts (see task-index.ts); kept current by {@link feed}. */
  private readonly openTasks = new OpenTaskIndex();
  private readonly taskCache = new TaskCache();
  private readonly views = new ViewCache<StoredInstance>();
  private readonly feed: TaskFeed;
  private readonly writers: Writers;
  /** Which of this server's commits may be unfinished, for start-up recovery (see step-journal.ts). */
  private readonly journal: StepJournal;
  /** Steps whose commit is waiting to be settled (see `settleLater`). */
  private unsettled: { instanceId: string; rev: number }[] = [];
  private settleTimer: NodeJS.Timeout | null = null;
  /** Whether the database answers `{ instanceId }` queries from an index; FerretDB (SQLite) reads the collection. */
  private indexedReads = true;
  private feedTimer: NodeJS.Timeout | null = null;
  /** Steps committed here whose later writes failed, waiting for another try (see `finishLater`), by commit id. */
  private readonly finishing = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  private constructor(private readonly options: RuntimeOptions) {
    this.collections = collectionsOf(options.db);
    this.writers = writersFor(this.collections);
    this.journal = new StepJournal(this.collections.servers);
    this.definitions = new DefinitionStore(this.collections, new Set(Object.keys(options.services)));
    const tasks = this.collections.tasks;
    this.feed = new TaskFeed({
      collection: this.collections.taskfeed,
      index: this.openTasks,
      scanOpenTasks: () => tasks.find({ status: 'open' }, { projection: TASK_FIELDS_PROJECTION }) as AsyncIterable<TaskFields>,
      readTasks: async (ids) => {
        const found = await Promise.all(ids.map((id) => tasks.findOne({ _id: id }, { projection: { ...TASK_FIELDS_PROJECTION, status: 1 } })));
        return new Map(found.filter((t) => t !== null).map((t) => [t._id, t]));
      },
    });
  }

  static async create(options: RuntimeOptions): Promise<Runtime> {
    const runtime = new Runtime(options);
    runtime.indexedReads = await secondaryIndexesServeQueries(options.db);
    await runtime.journal.open();
    await runtime.recoverPendingCommits();
    await runtime.backfillTimerIndex();
    await runtime.backfillInstanceList();
    await runtime.feed.rebuild();
    runtime.startFeedPolling(options.feedPollMs ?? 500);
    return runtime;
  }

  /** Stops background work (the task feed poller); the runtime still answers, reading the feed on demand. */
  stop(): void {
    this.stopped = true;
    if (this.feedTimer) clearTimeout(this.feedTimer);
    this.feedTimer = null;
    // What is left unfinished stays in the journal's record, for the next start-up.
    for (const timer of this.finishing.values()) clearTimeout(timer);
    this.finishing.clear();
  }

  /** Settles every step committed so far and waits for every write asked for. */
  async flush(): Promise<void> {
    await this.settleNow();
    await drainWriters(this.writers);
  }

  /** For a clean shutdown, once no more requests come: flush, and tell recovery there is nothing left to finish. */
  async close(): Promise<void> {
    this.stop();
    await this.flush();
    await this.journal.close();
  }

  private startFeedPolling(intervalMs: number) {
    if (!intervalMs) return;
    const tick = () => {
      this.feed
        .maintain()
        // A failed read is retried on the next tick, and every task list reads the feed itself first.
        .catch(() => undefined)
        .finally(() => {
          if (this.feedTimer) this.feedTimer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.feedTimer = setTimeout(tick, intervalMs).unref();
  }

  get clock(): Clock {
    return this.options.clock;
  }

  // ── processes ────────────────────────────────────────────────────────────

  async deploy(xml: string, actor: Actor | null): Promise<DeployResult> {
    const { doc, created } = await this.definitions.deploy(xml, actor);
    return { key: doc.key, version: doc.version, created, definition: doc };
  }

  async listProcesses(): Promise<ProcessSummary[]> {
    const latest = new Map<string, { key: string; name: string | null; version: number; deployedAt: Date; _id: string }>();
    const cursor = this.collections.definitions.find({}, { projection: { key: 1, name: 1, version: 1, deployedAt: 1 } });
    for await (const doc of cursor) {
      const seen = latest.get(doc.key);
      if (!seen || seen.version < doc.version) latest.set(doc.key, doc);
    }
    const out: ProcessSummary[] = [];
    for (const doc of [...latest.values()].sort((a, b) => a.key.localeCompare(b.key))) {
      const runnable = await this.definitions.runnableById(doc._id);
      out.push({
        key: doc.key,
        name: doc.name,
        latestVersion: doc.version,
        deployedAt: doc.deployedAt,
        startForm: runnable.model.startForm,
        starterGroups: runnable.model.starterGroups,
      });
    }
    return out;
  }

  async getProcessVersions(key: string) {
    const versions = await this.collections.definitions.find({ key }).sort({ version: 1 }).toArray();
    if (!versions.length) throw new RuntimeError('not_found', `流程不存在：${key}`);
    return versions;
  }

  getDefinition(key: string, version?: number) {
    return version === undefined ? this.definitions.latest(key) : this.definitions.byVersion(key, version);
  }

  // ── instances ────────────────────────────────────────────────────────────

  async startInstance(
    key: string,
    input: { businessKey?: string | null; variables?: Record<string, unknown> },
    actor: Actor,
    options: { rejectUnknownFields?: boolean } = {},
  ): Promise<InstanceView> {
    const definition = await this.definitions.runnable(await this.definitions.latest(key));
    const starters = definition.model.starterGroups;
    if (starters.length && !actor.groups.includes('admin') && !starters.some((g) => actor.groups.includes(g))) {
      throw new RuntimeError('forbidden', '您所在的用户组不能发起该流程');
    }
    const businessKey = normalizeBusinessKey(input.businessKey);
    const startForm = definition.model.startForm as FormSchema | null;
    if (options.rejectUnknownFields && startForm?.fields?.length) refuseUnknownFields(startForm, input.variables);
    let variables: Record<string, unknown>;
    if (startForm && startForm.fields?.length) {
      const checked = validateFormValues(startForm, input.variables ?? {}, {});
      if (!checked.ok) throw new RuntimeError('validation_failed', checked.message, { fields: checked.fields });
      variables = checked.values;
    } else {
      if (input.variables !== undefined && (typeof input.variables !== 'object' || input.variables === null || Array.isArray(input.variables))) {
        throw new RuntimeError('bad_request', 'variables 必须是对象');
      }
      if (options.rejectUnknownFields) {
        const hostile = Object.keys(input.variables ?? {}).filter((k) => k === '__proto__' || k === 'constructor' || k === 'prototype');
        if (hostile.length) throw new RuntimeError('validation_failed', `不允许的变量名：${hostile.join('、')}`, { fields: Object.fromEntries(hostile.map((k) => [k, '不允许的变量名'])) });
      }
      variables = sanitizeVariables(input.variables ?? {});
    }
    const id = this.journal.newInstanceId();
    const now = this.clock.now();
    // The journal lists the commit while the engine runs (see commitAndApply).
    const announced = this.journal.announce(`${id}:1`);
    let content: { stored: StoredInstance; outbox: OutboxOp[] };
    try {
      const result = await this.step(definition, null, { type: 'start' }, { id, variables, incidents: [], businessKey });
      content = this.startContent(id, now, definition, result, actor, businessKey, variables);
    } catch (err) {
      this.journal.finished(`${id}:1`);
      throw err;
    }
    const { stored, outbox } = content;
    // The start commits like every step (commit 1, then derived writes, then the view), so a crash in between is
    // finished by whoever reads the instance next or by the start-up recovery. A fresh random id: its first
    // revision can only be taken if the id was not fresh after all.
    if (!(await this.commitAndApply(id, 1, now, stored, outbox, announced))) throw new Error(`instance id ${id} is already taken`);
    this.views.set({ ...stored, _id: id, rev: 1, outbox: [] });
    return this.viewOf({ doc: stored, set: {}, outbox });
  }

  /** What a start's commit carries: the new instance (as stored) and its derived writes. */
  private startContent(
    id: string,
    now: Date,
    definition: RunnableDefinition,
    result: StepResult,
    actor: Actor,
    businessKey: string | null,
    variables: Record<string, unknown>,
  ): { stored: StoredInstance; outbox: OutboxOp[] } {
    const base = {
      _id: id,
      rev: 0,
      variables: {},
      businessKey,
      status: 'running' as const,
      openTasks: [],
    };
    const derived = deriveStep(base, result, definition, {
      now,
      actor: actor.id,
      audit: [{ type: 'instance.started', data: { version: definition.doc.version, businessKey, variables } }],
    });
    const doc: StoredInstance = {
      _id: id,
      processKey: definition.doc.key,
      processName: definition.doc.name,
      version: definition.doc.version,
      definitionId: definition.doc._id,
      businessKey,
      status: 'running',
      rev: 1,
      engineState: null,
      variables,
      activeElements: [],
      timers: [],
      nextTimerAt: null,
      incident: null,
      outbox: [],
      startedBy: actor.id,
      startedAt: now,
      updatedAt: now,
      endedAt: null,
      ...derived.set,
    } as StoredInstance;
    const outbox = [...derived.outbox];
    const timerOp = timerIndexOp(id, null, doc.nextTimerAt);
    if (timerOp) outbox.push(timerOp);
    outbox.push({ op: 'instanceSummary', instanceId: id, set: summaryOf(doc), upsert: true });
    return { stored: storedFields(doc) as StoredInstance, outbox };
  }

  async getInstance(id: string): Promise<InstanceView> {
    let doc = (await this.collections.instances.findOne({ _id: id }, { projection: { engineState: 0 } })) as StoredInstance | null;
    if (!doc || doc.outbox?.length) {
      // not there yet (its start died before the view was written), or an outbox left by an older version
      await this.loadInstance(id);
      doc = (await this.collections.instances.findOne({ _id: id }, { projection: { engineState: 0 } })) as StoredInstance | null;
      if (!doc) throw new RuntimeError('not_found', `流程实例不存在：${id}`);
    }
    const { outbox: _outbox, ...instance } = doc;
    // The instance names its open tasks; fetch them by key rather than querying the whole task collection.
    const found = await Promise.all((doc.openTasks ?? []).map((ref) => this.collections.tasks.findOne({ _id: ref.taskId })));
    const openTasks = await Promise.all(found.filter((task): task is TaskDoc => !!task && task.status === 'open').map((task) => this.withForm(task)));
    openTasks.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return { instance, openTasks };
  }

  /**
   * The view of an instance right after a step of this runtime: built from what the step wrote, reading only the
   * task records the step did not create itself.
   */
  private async viewOf({ doc, set, outbox }: Committed): Promise<InstanceView> {
    const { engineState: _state, outbox: _outbox, ...instance } = { ...doc, ...set } as StoredInstance;
    const created = new Map<string, TaskDoc>();
    const updates = new Map<string, Partial<TaskDoc>>();
    for (const op of outbox) {
      if (op.op === 'upsertTask') created.set(op.task._id, op.task);
      else if (op.op === 'assignTask') updates.set(op.taskId, { ...updates.get(op.taskId), assignee: op.assignee });
      else if (op.op === 'closeTasks') for (const taskId of op.taskIds) updates.set(taskId, { status: op.status });
    }
    const refs = (instance.openTasks ?? []) as OpenTaskRef[];
    const found = await Promise.all(
      refs.map(async (ref) => {
        const cached = this.taskCache.get(ref.taskId);
        const task =
          created.get(ref.taskId) ??
          (cached ? { ...cached, assignee: ref.assignee ?? null } : await this.withForm(await this.collections.tasks.findOne({ _id: ref.taskId })));
        return task ? ({ ...task, ...updates.get(ref.taskId) } as TaskDoc) : null;
      }),
    );
    const openTasks = found.filter((task): task is TaskDoc => !!task && task.status === 'open');
    openTasks.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return { instance: instance as InstanceView['instance'], openTasks };
  }

  /**
   * Instances newest first, filtered, a page of them and how many match. The filter runs on the small summaries in
   * `instancelist` (FerretDB reads every document of a collection for any filter: summaries of a few hundred bytes,
   * not the instances' full documents); the page shows the instances' own documents, read by `_id`.
   */
  async listInstances(query: InstanceQuery) {
    const filter: Filter<InstanceSummaryDoc> = {};
    if (query.status) filter.status = query.status;
    if (query.processKey) filter.processKey = query.processKey;
    if (query.businessKey) filter.businessKey = query.businessKey;
    if (query.startedBy) filter.startedBy = query.startedBy;
    if (query.startedFrom || query.startedTo) {
      filter.startedAt = {
        ...(query.startedFrom ? { $gte: query.startedFrom } : {}),
        ...(query.startedTo ? { $lte: query.startedTo } : {}),
      };
    }
    const limit = Math.min(Math.max(query.limit ?? 50, 1), PAGE_LIMIT);
    const skip = Math.max(query.skip ?? 0, 0);
    const { instancelist } = this.collections;
    // Sorted and counted by the database: on FerretDB each is a read of the (small) summaries, in its memory, not
    // the server's.
    const [page, total] = await Promise.all([
      instancelist.find(filter, { projection: { status: 1, rev: 1 } }).sort({ startedAt: -1, _id: 1 }).skip(skip).limit(limit).toArray(),
      instancelist.countDocuments(filter),
    ]);
    const docs = await Promise.all(page.map((entry) => this.collections.instances.findOne({ _id: entry._id }, { projection: { engineState: 0, outbox: 0 } })));
    const items: Omit<InstanceDoc, 'engineState' | 'outbox'>[] = [];
    docs.forEach((doc, i) => {
      if (!doc) return;
      items.push(doc);
      // A summary behind its instance (an older step's writes applied late, after a newer one's) is put right when
      // seen. One ahead of it is a step between its derived writes and its view: left alone.
      const entry = page[i]!;
      if (doc.status !== entry.status && doc.rev > (entry.rev ?? 0)) {
        void this.writers.instancelist.update(doc._id, { $set: { status: doc.status, endedAt: doc.endedAt ?? null, rev: doc.rev } }).catch(() => undefined);
      }
    });
    return { items, total };
  }

  /** How many instances there are per process, version and status: one read of the summaries. */
  async countInstances(): Promise<{ processKey: string; version: number; status: InstanceStatus; count: number }[]> {
    const groups = await this.collections.instancelist
      .aggregate<{ _id: { processKey: string; version: number; status: InstanceStatus }; count: number }>([
        { $group: { _id: { processKey: '$processKey', version: '$version', status: '$status' }, count: { $sum: 1 } } },
      ])
      .toArray();
    return groups.map((g) => ({ ...g._id, count: g.count }));
  }

  /**
   * An instance's history, oldest first (at most {@link AUDIT_LIMIT} entries). On FerretDB a query by `instanceId`
   * reads the audit of every instance (seconds at 100k instances), so the entries are read by `_id` instead: they
   * are `<instanceId>:<rev>:<n>`, dense in `n` within each revision up to the instance's.
   */
  async getAudit(instanceId: string): Promise<AuditDoc[]> {
    const byTime = (a: AuditDoc, b: AuditDoc) => new Date(a.at).getTime() - new Date(b.at).getTime() || a.rev - b.rev || a.n - b.n;
    if (this.indexedReads) return this.collections.audit.find({ instanceId }).sort({ at: 1, rev: 1, n: 1 }).limit(AUDIT_LIMIT).toArray();
    const doc = await this.collections.instances.findOne({ _id: instanceId }, { projection: { rev: 1 } });
    const entries: AuditDoc[] = [];
    let nextRev = 1;
    const readRevision = async (rev: number) => {
      for (let n = 0; entries.length < AUDIT_LIMIT; n++) {
        const entry = await this.collections.audit.findOne({ _id: `${instanceId}:${rev}:${n}` });
        if (!entry) return;
        entries.push(entry);
      }
    };
    const reader = async () => {
      while (nextRev <= (doc?.rev ?? 0) && entries.length < AUDIT_LIMIT) await readRevision(nextRev++);
    };
    await Promise.all(Array.from({ length: AUDIT_READERS }, reader));
    return entries.sort(byTime).slice(0, AUDIT_LIMIT);
  }

  /**
   * The sign-offs of an instance; on FerretDB read by `_id` (the task they sign) from its completed tasks in the
   * history, which callers that have it pass in.
   */
  async getSignoffs(instanceId: string, history?: AuditDoc[]): Promise<SignoffDoc[]> {
    if (this.indexedReads) return this.collections.signoffs.find({ instanceId }).sort({ at: 1 }).toArray();
    const completed = (history ?? (await this.getAudit(instanceId))).filter((e) => e.type === 'task.completed' && e.taskId);
    const found = await Promise.all(completed.map((e) => this.collections.signoffs.findOne({ _id: e.taskId! })));
    return found.filter((s): s is SignoffDoc => s !== null).sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  }

  // ── tasks ────────────────────────────────────────────────────────────────

  /**
   * Open tasks come from the in-memory index (after reading the feed, so a server sees every step stored before the
   * call, its own and other servers'), and only the page is read, by `_id`. Completed tasks are history: a query.
   */
  async listTasks(actor: Actor, query: TaskQuery): Promise<TaskDoc[]> {
    const status = query.status ?? 'open';
    const limit = Math.min(Math.max(query.limit ?? 50, 1), PAGE_LIMIT);
    if (status === 'open') {
      await this.feed.catchUp();
      const page = this.openTasks.page(taskFilter(actor, query), limit, query.before);
      const found = await Promise.all(
        page.map(async (entry) => {
          const cached = this.taskCache.get(entry.id);
          if (cached) return { ...cached, assignee: entry.assignee };
          const task = await this.collections.tasks.findOne({ _id: entry.id }, { projection: { formSchema: 0 } });
          if (task?.status === 'open') this.taskCache.set(task);
          return task;
        }),
      );
      // A task closed since the index was read is left out rather than shown as still to do.
      return found.filter((task): task is TaskDoc => task !== null && task.status === 'open');
    }
    let filter: Filter<TaskDoc>;
    if (query.scope === 'mine') {
      filter = { status: 'completed', completedBy: actor.id };
    } else if (query.scope === 'candidate') {
      filter = {
        status,
        assignee: null,
        $or: [{ candidateGroups: { $in: actor.groups } }, { candidateUsers: actor.id }],
      };
    } else {
      filter = { status };
    }
    if (query.processKey) filter.processKey = query.processKey;
    if (query.businessKey) filter.businessKey = query.businessKey;
    if (query.before) {
      filter.$and = [
        { $or: [{ createdAt: { $lt: query.before.createdAt } }, { createdAt: query.before.createdAt, _id: { $lt: query.before.id } }] },
      ];
    }
    return this.collections.tasks
      .find(filter, { projection: { formSchema: 0 } })
      .sort(query.scope === 'mine' ? { completedAt: -1 } : { createdAt: -1, _id: -1 })
      .limit(limit)
      .toArray();
  }

  async countTasks(actor: Actor) {
    await this.feed.catchUp();
    return {
      mine: this.openTasks.count({ scope: 'mine', actor }),
      candidate: this.openTasks.count({ scope: 'candidate', actor }),
    };
  }

  async getTask(id: string): Promise<TaskDoc> {
    const task = await this.collections.tasks.findOne({ _id: id });
    if (!task) throw new RuntimeError('not_found', `任务不存在：${id}`);
    return this.withForm(task);
  }

  /**
   * A task record with its form. Records store none: the form is its process version's (versions never change), so
   * it is read from the definition. Older records stored it, as a JSON string or an object, and keep theirs.
   */
  private async withForm<T extends TaskDoc | null>(task: T): Promise<T> {
    if (!task) return task;
    if (typeof task.formSchema === 'string') return { ...task, formSchema: JSON.parse(task.formSchema) };
    if (task.formSchema !== undefined) return task;
    const definition = await this.definitions.runnableById(`${task.processKey}:${task.version}`);
    return { ...task, formSchema: definition.model.userTasks.get(task.elementId)?.form ?? null };
  }

  canAct(task: TaskDoc, actor: Actor): boolean {
    if (task.assignee) return task.assignee === actor.id;
    return task.candidateUsers.includes(actor.id) || task.candidateGroups.some((g) => actor.groups.includes(g));
  }

  async claim(taskId: string, actor: Actor): Promise<TaskDoc> {
    const task = await this.getTask(taskId);
    if (!this.canAct(task, actor) && task.assignee !== actor.id) {
      throw new RuntimeError('forbidden', '您不在该任务的候选人或候选组中');
    }
    const definition = await this.definitions.runnableById(`${task.processKey}:${task.version}`);
    const instance = await this.collections.instances.findOne({ _id: task.instanceId }, { projection: { variables: 1, scopes: 1 } });
    if (instance) refuseRepeatPerformer(definition, instance, task, actor.id);
    await this.assign(task, actor, 'task.claimed', (holder) => {
      if (holder === actor.id) return null; // already mine
      if (holder) throw new RuntimeError('conflict', '该任务已被他人签收');
      return actor.id;
    });
    return this.getTask(taskId);
  }

  async unclaim(taskId: string, actor: Actor): Promise<TaskDoc> {
    const task = await this.getTask(taskId);
    const definition = await this.definitions.runnableById(`${task.processKey}:${task.version}`);
    if (definition.model.userTasks.get(task.elementId)?.assignee) {
      throw new RuntimeError('conflict', '该任务由流程直接指派，不能退回任务池');
    }
    await this.assign(task, actor, 'task.unclaimed', (holder) => {
      if (holder !== actor.id) throw new RuntimeError('forbidden', '只能退回自己签收的任务');
      return { release: true };
    });
    return this.getTask(taskId);
  }

  async reassign(taskId: string, assignee: string | null, actor: Actor, reason: string): Promise<TaskDoc> {
    requireReason(reason);
    const task = await this.getTask(taskId);
    await this.assign(task, actor, 'admin.reassign', (holder) => ({ to: assignee, data: { from: holder, to: assignee, reason } }));
    return this.getTask(taskId);
  }

  /**
   * Change who holds an open task. The holder lives in the instance document (the source of truth), so a claim
   * commits through the same log as every step and cannot race a completion or another claim.
   */
  private async assign(
    task: TaskDoc,
    actor: Actor,
    auditType: string,
    decide: (holder: string | null) => string | null | { release: true } | { to: string | null; data: Record<string, unknown> },
  ) {
    if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结');
    const definition = await this.definitions.runnableById(`${task.processKey}:${task.version}`);
    await this.mutate(task.instanceId, definition, null, async (doc) => {
      const entry = (doc.openTasks ?? []).find((t) => t.taskId === task._id);
      if (!entry || doc.status === 'cancelled' || doc.status === 'completed') throw new RuntimeError('conflict', '该任务已办结或已被取消');
      const decision = decide(entry.assignee ?? null);
      if (decision === null) return null;
      const to = typeof decision === 'string' ? decision : 'release' in decision ? null : decision.to;
      const data = typeof decision === 'object' && decision && 'data' in decision ? decision.data : {};
      return {
        result: unchangedResult(doc),
        ctx: {
          now: this.clock.now(),
          actor: actor.id,
          assign: { taskId: task._id, assignee: to },
          audit: [{ type: auditType, elementId: task.elementId, taskId: task._id, data }],
        },
      };
    });
  }

  async complete(taskId: string, input: unknown, actor: Actor, options: { rejectUnknownFields?: boolean } = {}) {
    const task = await this.taskForAction(taskId, actor);
    if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结，不能重复提交');
    if (!this.canAct(task, actor)) throw new RuntimeError('forbidden', '这不是您的任务');
    if (options.rejectUnknownFields) refuseUnknownFields(task.formSchema as FormSchema | null, input);
    const definition = await this.definitions.runnableById(`${task.processKey}:${task.version}`);
    let values: Record<string, unknown> = {};
    const committed = await this.mutate(task.instanceId, definition, null, async (doc) => {
      if (doc.status === 'cancelled' || doc.status === 'completed') throw new RuntimeError('conflict', '流程已结束');
      const entry = (doc.openTasks ?? []).find((t) => t.taskId === task._id);
      if (!entry) throw new RuntimeError('conflict', '该任务已办结或已被取消');
      if (entry.assignee && entry.assignee !== actor.id) throw new RuntimeError('forbidden', '该任务已由他人签收');
      // Checked against the instance just loaded (no separate read of its variables).
      values = this.checkTaskInput(task, input, doc);
      refuseRepeatPerformer(definition, doc, task, actor.id);
      const result = await this.step(definition, doc, { type: 'complete', executionId: task.executionId, values, user: actor.id });
      return {
        result,
        ctx: {
          now: this.clock.now(),
          actor: actor.id,
          actorName: actor.displayName ?? null,
          actorGroups: actor.groups,
          completed: { task, values },
        },
      };
    });
    // The answer is built from what the step wrote: the closed task as `closeTasks` leaves it, the instance as committed.
    const close = committed!.outbox.find((op) => op.op === 'closeTasks' && op.taskIds.includes(task._id)) as Extract<OutboxOp, { op: 'closeTasks' }> | undefined;
    const done: TaskDoc = close ? { ...task, status: close.status, completedAt: close.at, completedBy: close.by } : await this.getTask(taskId);
    return { task: done, instance: await this.viewOf(committed!) };
  }

  /**
   * The task a completion acts on, usually without reading it: a record in the task cache (this server created or
   * listed it) is what is stored except perhaps for who holds it (and its form, which withForm supplies).
   * Anything that would refuse is decided on the stored record instead, and the step itself checks the task
   * against the instance it commits on.
   */
  private async taskForAction(taskId: string, actor: Actor): Promise<TaskDoc> {
    const cached = this.taskCache.get(taskId);
    if (cached) {
      // The index knows of claims on other servers; a claim it has not read yet is caught by the step.
      const task = { ...cached, assignee: this.openTasks.get(taskId)?.assignee ?? cached.assignee };
      if (this.canAct(task, actor)) return this.withForm(task);
    }
    return this.getTask(taskId);
  }

  /**
   * The variables a task's form is shown and checked against: the instance's, overlaid by the sub-process
   * iteration the task waits in and by its own multi-instance element variable.
   */
  async taskContext(task: TaskDoc): Promise<Record<string, unknown>> {
    const instance = await this.collections.instances.findOne({ _id: task.instanceId }, { projection: { variables: 1, scopes: 1 } });
    const context = scopedVariables(instance?.variables ?? {}, instance?.scopes ?? {}, task.scopeId ?? null);
    return task.elementVariable ? { ...context, [task.elementVariable.name]: task.elementVariable.value } : context;
  }

  /** Validate submitted values against the task's form, in the context of the instance's variables. */
  async validateTaskInput(task: TaskDoc, input: unknown): Promise<Record<string, unknown>> {
    const schema = task.formSchema as FormSchema | null;
    if (!schema || !schema.fields?.length) return {};
    const instance = await this.collections.instances.findOne({ _id: task.instanceId }, { projection: { variables: 1, scopes: 1 } });
    return this.checkTaskInput(task, input, instance ?? { variables: {} });
  }

  private checkTaskInput(task: TaskDoc, input: unknown, instance: Pick<InstanceDoc, 'variables' | 'scopes'>): Record<string, unknown> {
    const schema = task.formSchema as FormSchema | null;
    if (!schema || !schema.fields?.length) return {};
    const context = scopedVariables(instance.variables ?? {}, instance.scopes ?? {}, task.scopeId ?? null);
    const withElement = task.elementVariable ? { ...context, [task.elementVariable.name]: task.elementVariable.value } : context;
    const checked = validateFormValues(schema, input ?? {}, withElement);
    if (!checked.ok) throw new RuntimeError('validation_failed', checked.message, { fields: checked.fields });
    return checked.values;
  }

  // ── administration ───────────────────────────────────────────────────────

  async retry(instanceId: string, actor: Actor, reason: string): Promise<InstanceView> {
    requireReason(reason);
    const doc = await this.loadInstance(instanceId);
    if (doc.status !== 'incident') throw new RuntimeError('conflict', '该流程实例没有待处理的异常');
    const definition = await this.definitions.runnableById(doc.definitionId);
    await this.mutate(instanceId, definition, doc, async (current) => ({
      result: await this.step(definition, current, { type: 'retry' }),
      ctx: { now: this.clock.now(), actor: actor.id, audit: [{ type: 'admin.retry', data: { reason } }] },
    }));
    return this.getInstance(instanceId);
  }

  async cancel(instanceId: string, actor: Actor, reason: string): Promise<InstanceView> {
    requireReason(reason);
    const doc = await this.loadInstance(instanceId);
    if (doc.status === 'completed' || doc.status === 'cancelled') throw new RuntimeError('conflict', '流程已结束，不能取消');
    const definition = await this.definitions.runnableById(doc.definitionId);
    await this.mutate(instanceId, definition, doc, async (current) => {
      const result: StepResult = {
        state: engineStateOf(current),
        stateText: storedStateText(current),
        status: 'running',
        variables: current.variables,
        scopes: current.scopes ?? {},
        tasks: [],
        timers: [],
        incidents: [],
        events: [],
        notices: [],
      };
      return {
        result,
        ctx: { now: this.clock.now(), actor: actor.id, audit: [{ type: 'admin.cancel', data: { reason } }] },
        status: 'cancelled' as const,
      };
    });
    return this.getInstance(instanceId);
  }

  /**
   * Fires every due timer: reads the due entries of the timer index (`duetimers`, one per instance with a timer)
   * and steps up to {@link TIMER_CONCURRENCY} instances at once, in random order so that two servers polling the
   * same database mostly pick different instances. Exactly once: each firing is a commit, and whoever loses the
   * commit finds the timer no longer due.
   */
  async fireDueTimers(): Promise<number> {
    let advanced = 0;
    const seen = new Set<string>();
    for (let batch = 0; batch < 100; batch++) {
      const now = this.clock.now();
      const due = (await this.collections.duetimers.find({ dueAt: { $lte: now } }).sort({ dueAt: 1 }).limit(TIMER_BATCH).toArray()).filter(
        (entry) => !seen.has(entry._id),
      );
      if (!due.length) break;
      for (const entry of due) seen.add(entry._id);
      shuffle(due);
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(TIMER_CONCURRENCY, due.length) }, async () => {
          while (next < due.length) {
            const entry = due[next++]!;
            try {
              if (await this.fireTimer(entry)) advanced++;
            } catch (err) {
              // One instance failing (e.g. its definition gone) must not stop the others.
              console.error(`[runtime] timer of ${entry.instanceId} not fired:`, err instanceof Error ? err.message : err);
            }
          }
        }),
      );
    }
    return advanced;
  }

  private async fireTimer(entry: DueTimerDoc): Promise<boolean> {
    let doc: StoredInstance;
    try {
      doc = await this.loadInstance(entry.instanceId);
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'not_found') {
        await this.collections.duetimers.deleteOne({ _id: entry._id });
        return false;
      }
      throw err;
    }
    const current = doc.nextTimerAt ? new Date(doc.nextTimerAt).getTime() : null;
    if (current !== new Date(entry.dueAt).getTime() || (doc.status !== 'running' && doc.status !== 'incident')) {
      // A stale entry (its instance moved on, or a late re-applied write); the instance's own entry is the other one.
      await this.collections.duetimers.deleteOne({ _id: entry._id });
      return false;
    }
    const definition = await this.definitions.runnableById(doc.definitionId);
    const fired = await this.mutate(entry.instanceId, definition, doc, async (current) => {
      // Another server may have fired it between the query and this read.
      if (!current.nextTimerAt || current.nextTimerAt > this.clock.now()) return null;
      if (current.status !== 'running' && current.status !== 'incident') return null;
      return { result: await this.step(definition, current, { type: 'resume' }), ctx: { now: this.clock.now(), actor: null } };
    });
    return !!fired;
  }

  /**
   * Once per database: index the timers of instances written before the timer index existed (one scan of the
   * instances); later steps keep the index themselves.
   */
  private async backfillTimerIndex(): Promise<void> {
    if (await this.collections.duetimers.findOne({ _id: BACKFILL_MARKER })) return;
    const cursor = this.collections.instances.find({ nextTimerAt: { $ne: null } }, { projection: { _id: 1, nextTimerAt: 1, status: 1 } });
    for await (const doc of cursor) {
      if (!doc.nextTimerAt || (doc.status !== 'running' && doc.status !== 'incident')) continue;
      await applyOutbox(this.writers, [{ op: 'timerIndex', instanceId: doc._id, due: doc.nextTimerAt, done: null }]);
    }
    await this.collections.duetimers.updateOne({ _id: BACKFILL_MARKER }, { $set: { instanceId: '' } }, { upsert: true });
  }

  /**
   * Once per database: the `instancelist` entries of instances started before it existed (one read of the
   * instances); later starts and status changes keep it themselves.
   */
  private async backfillInstanceList(): Promise<void> {
    if (await this.collections.servers.findOne({ _id: INSTANCE_LIST_BACKFILLED })) return;
    const fields = { processKey: 1, version: 1, businessKey: 1, status: 1, startedBy: 1, startedAt: 1, endedAt: 1, rev: 1 };
    let batch: Promise<void>[] = [];
    for await (const doc of this.collections.instances.find({}, { projection: fields })) {
      batch.push(this.writers.instancelist.update(doc._id, { $set: summaryOf(doc as InstanceDoc) }, { upsert: true }));
      if (batch.length >= 256) {
        await Promise.all(batch);
        batch = [];
      }
    }
    await Promise.all(batch);
    await writeMarker(this.collections.servers, INSTANCE_LIST_BACKFILLED);
  }

  // ── notices ──────────────────────────────────────────────────────────────

  listNotices(query: { current?: boolean; limit?: number }) {
    const now = this.clock.now();
    const filter = query.current ? { publishedAt: { $lte: now }, endAt: { $gte: now } } : {};
    return this.collections.notices
      .find(filter)
      .sort({ publishedAt: -1 })
      .limit(Math.min(Math.max(query.limit ?? 50, 1), PAGE_LIMIT))
      .toArray();
  }

  async getNotice(id: string) {
    const notice = await this.collections.notices.findOne({ _id: id });
    if (!notice) throw new RuntimeError('not_found', '公示不存在');
    return notice;
  }

  // ── the unit of work ─────────────────────────────────────────────────────

  /**
   * The instance as of its newest commit. The document is a materialized view, written after the commit's derived
   * writes; when a committer died (or is still busy) before writing it, the newer commit is finished here: its
   * derived writes applied again (idempotent) and the view written.
   */
  private async loadInstance(id: string, options: { probe?: boolean } = {}): Promise<StoredInstance> {
    this.views.delete(id); // whatever is read here is at least as new
    let doc = viewFromStore((await this.collections.instances.findOne({ _id: id })) as StoredInstance | null);
    if (!doc) {
      // A start whose server died between its commit and the view.
      const first = await this.collections.commits.findOne({ _id: `${id}:1` });
      const payload = first ? decodeCommitPayload(first) : null;
      if (!payload) throw new RuntimeError('not_found', `流程实例不存在：${id}`);
      await this.applyDerived(id, 1, payload.outbox);
      await this.writeView(id, 1, payload.set);
      doc = { ...(payload.set as StoredInstance), rev: 1 };
    }
    if (doc.outbox?.length) await flushLegacyOutbox(this.writers, id, doc.outbox);
    if (options.probe === false) return doc;
    // Newer commits than the view are found by key (`<id>:<rev>`), never by a scan: FerretDB serves _id lookups
    // from its primary key, other filters by reading the whole collection.
    let latest: { rev: number; payload: CommitPayload } | null = null;
    for (let rev = doc.rev + 1; ; rev++) {
      const next = await this.collections.commits.findOne({ _id: `${id}:${rev}` });
      if (!next) break;
      const payload = decodeCommitPayload(next);
      if (payload) latest = { rev, payload };
    }
    if (latest) {
      await this.applyDerived(id, latest.rev, latest.payload.outbox);
      await this.writeView(id, latest.rev, latest.payload.set);
      await this.settle(id, latest.rev);
      return { ...doc, ...(latest.payload.set as Partial<StoredInstance>), rev: latest.rev, outbox: [] };
    }
    return doc;
  }

  /**
   * A commit's derived writes, then its open-task changes to the task feed: after the task records (the feed never
   * runs ahead of them) and before the view (a step that dies in between is finished, feed included, by whoever
   * reads the instance next).
   */
  private async applyDerived(instanceId: string, rev: number, outbox: OutboxOp[]) {
    await applyOutbox(this.writers, outbox);
    for (const op of outbox) {
      if (op.op === 'upsertTask') this.taskCache.set(op.task);
      else if (op.op === 'closeTasks') for (const id of op.taskIds) this.taskCache.delete(id);
      else if (op.op === 'assignTask') this.taskCache.assign(op.taskId, op.assignee);
    }
    const change = taskChangeOf(instanceId, rev, outbox);
    if (change) await this.feed.append(change);
  }

  /** Write the view of commit `rev`: the first one creates the instance document, later ones update it. */
  private async writeView(id: string, rev: number, set: Partial<StoredInstance>) {
    if (rev === 1 && set.processKey) {
      try {
        await this.writers.instances.insert({ ...(viewToStore(set) as StoredInstance), _id: id, rev: 1, outbox: [] });
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      return;
    }
    await this.writers.instances.update(id, { $set: { ...viewToStore(set), rev } });
  }

  /**
   * After the view: drop the previous commit's payload. Only the newest commit needs it (to finish its step again
   * should a late writer set the view back); older ones stay as small markers that keep their revision taken.
   * One update, batched with other steps'. That the step is finished needs no write: see step-journal.ts.
   */
  private async settle(instanceId: string, rev: number) {
    if (rev > 1) await this.writers.commits.update(`${instanceId}:${rev - 1}`, { $unset: { payload: '', state: '', set: '' } });
  }

  /**
   * Settling is bookkeeping, not part of the step: a step is done once its view is written. So it runs after the
   * answer, a few steps' at a time in one command. A settle lost to a crash or a failed write leaves one old payload
   * behind: storage only, since a commit is a marker whether it has its payload or not.
   */
  private settleLater(instanceId: string, rev: number) {
    this.unsettled.push({ instanceId, rev });
    this.settleTimer ??= setTimeout(() => void this.settleNow(), SETTLE_DELAY_MS);
  }

  private async settleNow(): Promise<void> {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    const batch = this.unsettled.splice(0);
    // A settle that fails only leaves an old payload behind (see settleLater): nothing to retry here.
    await Promise.all(batch.map(({ instanceId, rev }) => this.settle(instanceId, rev).catch(() => undefined)));
  }

  /**
   * A step whose derived writes or view failed after its commit (the database hiccuped) is finished in the
   * background, as a reader would finish it: its writes applied again from the commit, then the view. Until then the
   * instance reads one step behind, and the journal keeps the commit listed; after {@link FINISH_ATTEMPTS} failed
   * tries it is left to readers and to the next start-up's recovery.
   */
  private finishLater(instanceId: string, commitId: string, attempt = 0) {
    if (this.stopped || attempt >= FINISH_ATTEMPTS || this.finishing.has(commitId)) return;
    const delay = Math.min(FINISH_RETRY_MS * 2 ** attempt, FINISH_RETRY_MAX_MS);
    const timer = setTimeout(() => {
      this.finishing.delete(commitId);
      this.loadInstance(instanceId).then(
        () => this.journal.finished(commitId),
        () => this.finishLater(instanceId, commitId, attempt + 1),
      );
    }, delay);
    timer.unref();
    this.finishing.set(commitId, timer);
  }

  private async hasCommitAfter(instanceId: string, rev: number): Promise<boolean> {
    return !!(await this.collections.commits.findOne({ _id: `${instanceId}:${rev + 1}` }, { projection: { _id: 1 } }));
  }

  /**
   * At start-up: finish every step whose server died (or failed) between its commit and its view — those the
   * servers' journal records say may be unfinished, and those older versions marked pending.
   */
  private async recoverPendingCommits(): Promise<number> {
    const { commits, goneServers, legacyChecked } = await unfinishedCommits(this.collections.servers, this.collections.commits);
    for (const { instanceId, rev, pending } of commits) {
      try {
        await this.loadInstance(instanceId);
      } catch (err) {
        if (!(err instanceof RuntimeError && err.code === 'not_found')) throw err;
      }
      if (pending) await this.collections.commits.updateOne({ _id: `${instanceId}:${rev}` }, { $set: { pending: false } });
      await this.settle(instanceId, rev);
    }
    await drainWriters(this.writers);
    // Their unfinished commits are finished now, and they will not write again.
    if (goneServers.length) await this.collections.servers.deleteMany({ _id: { $in: goneServers } });
    if (!legacyChecked) await writeMarker(this.collections.servers, LEGACY_CHECKED);
    return commits.length;
  }

  /**
   * Load, step, commit. The commit is the insert of `commits/<id>:<rev+1>`: a unique key, the one guard that is
   * atomic across server processes on FerretDB; whoever loses the insert starts again from a fresh read. Then the
   * step's derived writes are applied (idempotent), the view written and the commit settled — all by `_id`.
   */
  private async mutate(
    instanceId: string,
    definition: RunnableDefinition,
    loaded: StoredInstance | null,
    work: (doc: StoredInstance) => Promise<{ result: StepResult; ctx: StepContext; status?: 'cancelled' } | null>,
  ): Promise<Committed | null> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // The caller's fresh load serves the first attempt; a lost race reads again. Without one, the first attempt
      // trusts the view without looking for a newer commit (almost always there is none): if there is one, the
      // commit below finds its revision taken, and a refusal is checked against it before it is given.
      const optimistic = attempt === 0 && !loaded;
      const doc =
        attempt === 0 && loaded ? loaded : ((optimistic && this.views.get(instanceId)) || (await this.loadInstance(instanceId, { probe: !optimistic })));
      const rev = doc.rev + 1;
      // The journal lists the commit while the engine runs (see commitAndApply).
      const announced = this.journal.announce(`${instanceId}:${rev}`);
      let outcome: Awaited<ReturnType<typeof work>>;
      let prepared: { stored: Partial<StoredInstance>; outbox: OutboxOp[] } | null = null;
      try {
        outcome = await work(doc);
        if (outcome) prepared = this.commitContent(instanceId, definition, doc, outcome);
      } catch (err) {
        this.journal.finished(`${instanceId}:${rev}`);
        if (optimistic && (await this.hasCommitAfter(instanceId, doc.rev))) continue;
        throw err;
      }
      if (!outcome || !prepared) {
        this.journal.finished(`${instanceId}:${rev}`);
        if (optimistic && (await this.hasCommitAfter(instanceId, doc.rev))) continue;
        return null;
      }
      const { stored, outbox } = prepared;
      if (!(await this.commitAndApply(instanceId, rev, outcome.ctx.now, stored, outbox, announced))) {
        this.views.delete(instanceId);
        if (!optimistic) await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
        continue; // another step took this revision
      }
      this.views.set({ ...doc, ...stored, rev, outbox: [] });
      return { doc, set: { ...stored, rev }, outbox };
    }
    throw new RuntimeError('conflict', '流程实例正被频繁更新，请稍后重试');
  }

  /** What a step's commit carries: the instance fields it sets (as stored) and its derived writes. */
  private commitContent(
    instanceId: string,
    definition: RunnableDefinition,
    doc: StoredInstance,
    outcome: { result: StepResult; ctx: StepContext; status?: 'cancelled' },
  ): { stored: Partial<StoredInstance>; outbox: OutboxOp[] } {
    const derived = deriveStep(doc, outcome.result, definition, outcome.ctx);
    const set = { ...derived.set } as Partial<StoredInstance>;
    if (outcome.status === 'cancelled') {
      Object.assign(set, { status: 'cancelled', endedAt: outcome.ctx.now, nextTimerAt: null, timers: [], activeElements: [] });
    }
    const outbox = [...derived.outbox];
    const timerOp = timerIndexOp(instanceId, doc.nextTimerAt, set.nextTimerAt);
    if (timerOp) outbox.push(timerOp);
    if (set.status && set.status !== doc.status) {
      outbox.push({ op: 'instanceSummary', instanceId, set: { status: set.status, endedAt: set.endedAt ?? null, rev: doc.rev + 1 }, upsert: false });
    }
    return { stored: storedFields(set), outbox };
  }

  /**
   * Commits revision `rev` (false: another step took it), then applies its derived writes and writes its view.
   * `announced` is the journal's write listing the commit: the commit is inserted only after it, so that if this
   * server dies before the view is written, start-up recovery finds the commit. A step that fails after its commit
   * stays listed until it is finished: in the background (`finishLater`), by the instance's next reader, or by the
   * next start-up.
   */
  private async commitAndApply(
    instanceId: string,
    rev: number,
    at: Date,
    set: Partial<StoredInstance>,
    outbox: OutboxOp[],
    announced: Promise<void>,
  ): Promise<boolean> {
    const _id = `${instanceId}:${rev}`;
    const written = viewToStore(set); // the engine state deflated once, for the commit and the view
    try {
      await announced;
      await this.writers.commits.insert({ _id, instanceId, rev, at, ...commitFields({ set: written as CommitPayload['set'], outbox }) });
    } catch (err) {
      // Lost the revision to another step, or the journal could not list the commit (so it was never sent): nothing
      // of this step was written. Any other failure may have written the commit all the same, so it stays listed.
      const lostRace = (err as { code?: number }).code === 11000;
      const neverSent = !(await announced.then(() => true, () => false));
      if (lostRace || neverSent) this.journal.finished(_id);
      if (lostRace) return false;
      throw err;
    }
    this.options.faults?.afterCommit?.();
    try {
      await this.applyDerived(instanceId, rev, outbox);
      this.options.faults?.beforeView?.();
      await this.writeView(instanceId, rev, written);
    } catch (err) {
      // Committed, not finished: the step stands (its commit is the record) and is finished from the commit. The
      // person is told so, not that it failed: doing it again would be refused as already done.
      this.finishLater(instanceId, _id);
      throw new RuntimeError('unavailable', '办理已记录，但数据库暂时不可用，后续处理将自动完成，请稍后刷新查看', {}, { cause: err });
    }
    const ended = set.status === 'completed' || set.status === 'cancelled';
    this.journal.finished(_id, ended ? undefined : `${instanceId}:${rev + 1}`);
    this.settleLater(instanceId, rev);
    return true;
  }

  private async step(
    definition: RunnableDefinition,
    doc: Pick<StoredInstance, '_id' | 'engineState' | 'variables' | 'scopes' | 'businessKey'> & { incidents?: StoredInstance['incidents'] } | null,
    action: StepAction,
    fresh?: { id: string; variables: Record<string, unknown>; incidents: []; businessKey: string | null },
  ): Promise<StepResult> {
    const id = doc?._id ?? fresh!.id;
    try {
      return await runStep({
        sourceContext: definition.sourceContext,
        model: definition.model,
        // Parsed by the step only if it recovers: usually it continues on the live engine.
        state: doc && typeof doc.engineState !== 'string' ? engineStateOf(doc) : null,
        // The stored text lets the engine step continue on the engine that produced it (server/engine/live-engines.ts).
        stateText: doc ? storedStateText(doc) : undefined,
        variables: doc?.variables ?? fresh!.variables,
        scopes: doc?.scopes ?? {},
        incidents: (doc?.incidents ?? []).map((i) => ({
          elementId: i.elementId,
          executionId: i.detail ?? '',
          message: i.message,
          at: new Date(i.at).toISOString(),
        })),
        action,
        clock: this.clock,
        services: this.options.services,
        instance: {
          id,
          processKey: definition.doc.key,
          processName: definition.doc.name ?? definition.doc.key,
          businessKey: doc?.businessKey ?? fresh?.businessKey ?? null,
        },
      });
    } catch (err) {
      if (err instanceof TaskNotWaiting) throw new RuntimeError('conflict', '该任务已办结或已被取消');
      if (err instanceof EngineFailure) {
        throw new RuntimeError('incident', `流程无法继续：${err.message}`, {});
      }
      throw err;
    }
  }
}

/**
 * API clients get a 400 for fields the form does not have (typos, `__proto__`, injected keys) instead of having
 * them silently dropped; the web pages, whose forms carry their own hidden fields, whitelist instead.
 */
function refuseUnknownFields(schema: FormSchema | null, input: unknown) {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return;
  const known = new Set((schema?.fields ?? []).filter((f) => !f.constraints?.readonly).map((f) => f.id));
  const unknown = Object.keys(input).filter((key) => !known.has(key));
  if (unknown.length) {
    const fields = Object.fromEntries(unknown.slice(0, 20).map((key) => [key.slice(0, 100), '表单中没有该字段']));
    throw new RuntimeError('validation_failed', `表单中没有这些字段：${unknown.slice(0, 5).join('、').slice(0, 200)}`, { fields });
  }
}

/**
 * A multi-instance task marked `distinctPerformers` (P1's independent expert scores) takes each iteration from a
 * different person within its sub-process iteration: the results already collected there name who did them.
 */
function refuseRepeatPerformer(
  definition: RunnableDefinition,
  instance: Pick<InstanceDoc, 'variables' | 'scopes'>,
  task: TaskDoc,
  actorId: string,
) {
  const spec = definition.model.userTasks.get(task.elementId);
  if (!spec?.distinctPerformers || !task.isMultiInstance) return;
  const results = scopedVariables(instance.variables ?? {}, instance.scopes ?? {}, task.scopeId ?? null)[`${task.elementId}Results`];
  if (!Array.isArray(results) || !results.some((r) => (r as { by?: unknown })?.by === actorId)) return;
  const source = task.documentation?.split('\n')[0]?.trim();
  const what = task.subject ? `“${task.subject}”的` : '';
  throw new RuntimeError(
    'forbidden',
    `您已办理过${what}“${task.name}”：该环节须由不同人员各自独立办理，同一人不能办理两份${source ? `（${source}）` : ''}`,
  );
}

function taskFilter(actor: Actor, query: TaskQuery): TaskFilter {
  return {
    scope: query.scope,
    actor,
    ...(query.processKey ? { processKey: query.processKey } : {}),
    ...(query.businessKey ? { businessKey: query.businessKey } : {}),
  };
}

function requireReason(reason: string) {
  if (typeof reason !== 'string' || !reason.trim()) throw new RuntimeError('bad_request', '请填写操作原因', { fields: { reason: '请填写操作原因' } });
}

function normalizeBusinessKey(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new RuntimeError('bad_request', '业务编号必须是文本', { fields: { businessKey: '业务编号必须是文本' } });
  const trimmed = value.trim();
  if (trimmed.length > 200) throw new RuntimeError('bad_request', '业务编号过长（最多 200 个字符）', { fields: { businessKey: '业务编号过长' } });
  return trimmed || null;
}

/** An instance document's fields as written: the engine state packed (see packed.ts). */
function viewToStore<T extends Partial<StoredInstance>>(set: T): T {
  return set.engineState === undefined ? set : { ...set, engineState: engineStateToStore(set.engineState) };
}

/** An instance document as read, with its engine state as text again. */
function viewFromStore<T extends Partial<StoredInstance> | null>(doc: T): T {
  return doc && doc.engineState !== undefined ? { ...doc, engineState: engineStateFromStore(doc.engineState) } : doc;
}

/** The engine state as kept in memory (one JSON string), if it is kept so; older documents hold the object. */
function storedStateText(doc: Pick<StoredInstance, 'engineState'>): string | undefined {
  return typeof doc.engineState === 'string' ? doc.engineState : undefined;
}

function engineStateOf(doc: Pick<StoredInstance, 'engineState'>): Record<string, unknown> {
  const state = doc.engineState;
  return (typeof state === 'string' ? JSON.parse(state) : state) as Record<string, unknown>;
}

/**
 * The instance fields as stored: the engine state as one JSON string. FerretDB decodes and re-encodes every field of
 * a document on each read and update; bpmn-engine's state is hundreds of small nested fields, read by nobody else.
 */
function storedFields<T extends Partial<StoredInstance>>(set: T): T {
  if (set.engineState === undefined || set.engineState === null || typeof set.engineState === 'string') return set;
  return { ...set, engineState: JSON.stringify(set.engineState) };
}

function shuffle<T>(items: T[]) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** A step that changes no engine state (claims, cancellation): everything waiting stays as it is. */
function unchangedResult(doc: StoredInstance): StepResult {
  return {
    state: engineStateOf(doc),
    stateText: storedStateText(doc),
    status: doc.status === 'incident' ? 'incident' : 'running',
    variables: doc.variables,
    scopes: doc.scopes ?? {},
    tasks: (doc.openTasks ?? []).map((t) => ({ executionId: t.executionId, elementId: t.elementId, loopIndex: null, elementValue: null })),
    timers: (doc.timers ?? []).map((t) => ({ executionId: t.executionId, elementId: t.elementId, dueAt: new Date(t.dueAt).toISOString() })),
    incidents: (doc.incidents ?? []).map((i) => ({ elementId: i.elementId, executionId: i.detail ?? '', message: i.message, at: new Date(i.at).toISOString() })),
    events: [],
    notices: [],
  };
}

/** An instance's entry in `instancelist` (see InstanceSummaryDoc). */
function summaryOf(doc: Pick<InstanceDoc, 'processKey' | 'version' | 'businessKey' | 'status' | 'startedBy' | 'startedAt' | 'endedAt' | 'rev'>) {
  return {
    rev: doc.rev,
    processKey: doc.processKey,
    version: doc.version,
    businessKey: doc.businessKey ?? null,
    status: doc.status,
    startedBy: doc.startedBy ?? null,
    startedAt: doc.startedAt,
    endedAt: doc.endedAt ?? null,
  };
}
