import type { Filter } from 'mongodb';
import type { AuditDoc, InstanceDoc, NoticeDoc, OutboxOp, SignoffDoc, TaskDoc } from '../db/types.js';
import { displayValue } from '../forms/display.js';
import type { FormSchema } from '../forms/schema.js';
import { RuntimeError, type Actor, type CaseEntry, type InstanceQuery, type InstanceView, type ProcessSummary, type TaskQuery } from './api.js';
import type { RuntimeContext } from './context.js';
import type { Committed } from './unit-of-work.js';
import { taskVariables } from './task-input.js';

export const PAGE_LIMIT = 200;
/** The longest history returned, and how many revisions' entries are read at once (FerretDB). */
const AUDIT_LIMIT = 5000;
const AUDIT_READERS = 8;

/**
 * Everything the runtime answers without changing anything. Open tasks, instance lists and counts come from the
 * read side (server/runtime/read-model/); an instance, a task and their history are read by `_id`.
 */
export class Queries {
  constructor(private readonly ctx: RuntimeContext) {}

  // ── processes ──

  async listProcesses(): Promise<ProcessSummary[]> {
    const latest = new Map<string, { key: string; name: string | null; version: number; deployedAt: Date; _id: string }>();
    for await (const doc of this.ctx.collections.definitions.find({}, { projection: { key: 1, name: 1, version: 1, deployedAt: 1 } })) {
      const seen = latest.get(doc.key);
      if (!seen || seen.version < doc.version) latest.set(doc.key, doc);
    }
    const out: ProcessSummary[] = [];
    for (const doc of [...latest.values()].sort((a, b) => a.key.localeCompare(b.key))) {
      const runnable = await this.ctx.definitions.runnableById(doc._id);
      out.push({
        key: doc.key,
        name: doc.name,
        latestVersion: doc.version,
        deployedAt: doc.deployedAt,
        startForm: runnable.model.startForm,
        starterGroups: runnable.model.starterGroups,
        caseUnitKinds: runnable.model.caseUnitKinds,
      });
    }
    return out;
  }

  async getProcessVersions(key: string) {
    const versions = await this.ctx.collections.definitions.find({ key }).sort({ version: 1 }).toArray();
    if (!versions.length) throw new RuntimeError('not_found', `流程不存在：${key}`);
    return versions;
  }

  // ── instances ──

  async getInstance(id: string): Promise<InstanceView> {
    const { instances } = this.ctx.collections;
    let doc = await instances.findOne({ _id: id }, { projection: { engineState: 0 } });
    if (!doc) {
      await this.ctx.work.load(id, { probe: true }); // a start cut between its commit and its view is finished here
      doc = await instances.findOne({ _id: id }, { projection: { engineState: 0 } });
      if (!doc) throw new RuntimeError('not_found', `流程实例不存在：${id}`);
    }
    // The instance names its open tasks: read them by `_id`.
    const found = await Promise.all(
      (doc.openTasks ?? []).map((ref) => this.ctx.readModel.openTask(ref.taskId) ?? this.ctx.collections.tasks.findOne({ _id: ref.taskId })),
    );
    const openTasks = await Promise.all(found.filter((t): t is TaskDoc => !!t && t.status === 'open').map((t) => this.withForm(t)));
    openTasks.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return { instance: doc, openTasks };
  }

  /** The view of an instance right after a step: built from what the step wrote, reading only the tasks it did not create. */
  async viewOf({ after, outbox }: Committed): Promise<InstanceView> {
    const { engineState: _state, ...instance } = after;
    const created = new Map<string, TaskDoc>();
    const updates = new Map<string, Partial<TaskDoc>>();
    for (const op of outbox as OutboxOp[]) {
      if (op.op === 'upsertTask') created.set(op.task._id, op.task);
      else if (op.op === 'assignTask') updates.set(op.taskId, { ...updates.get(op.taskId), assignee: op.assignee });
      else if (op.op === 'closeTasks') for (const taskId of op.taskIds) updates.set(taskId, { status: op.status });
    }
    const found = await Promise.all(
      (instance.openTasks ?? []).map(async (ref) => {
        const task = created.get(ref.taskId) ?? (await this.withForm(this.ctx.readModel.openTask(ref.taskId) ?? (await this.ctx.collections.tasks.findOne({ _id: ref.taskId }))));
        return task ? ({ ...task, ...updates.get(ref.taskId) } as TaskDoc) : null;
      }),
    );
    const openTasks = found.filter((t): t is TaskDoc => !!t && t.status === 'open');
    openTasks.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return { instance, openTasks };
  }

  listInstances(query: InstanceQuery) {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), PAGE_LIMIT);
    return this.ctx.readModel.listInstances(query, limit, Math.max(query.skip ?? 0, 0));
  }

  countInstances() {
    return this.ctx.readModel.countInstances();
  }

  /**
   * An instance's history, oldest first (at most {@link AUDIT_LIMIT} entries). Where the database has no secondary
   * indexes (FerretDB) a query by `instanceId` reads every instance's history, so the entries are read by `_id`:
   * they are `<instanceId>:<rev>:<n>`, dense in `n` within each revision up to the instance's.
   */
  async getAudit(instanceId: string): Promise<AuditDoc[]> {
    const { audit, instances } = this.ctx.collections;
    if (this.ctx.indexedReads) return audit.find({ instanceId }).sort({ at: 1, rev: 1, n: 1 }).limit(AUDIT_LIMIT).toArray();
    const doc = await instances.findOne({ _id: instanceId }, { projection: { rev: 1 } });
    const entries: AuditDoc[] = [];
    let nextRev = 1;
    const readRevision = async (rev: number) => {
      for (let n = 0; entries.length < AUDIT_LIMIT; n++) {
        const entry = await audit.findOne({ _id: `${instanceId}:${rev}:${n}` });
        if (!entry) return;
        entries.push(entry);
      }
    };
    const reader = async () => {
      while (nextRev <= (doc?.rev ?? 0) && entries.length < AUDIT_LIMIT) await readRevision(nextRev++);
    };
    await Promise.all(Array.from({ length: AUDIT_READERS }, reader));
    const byTime = (a: AuditDoc, b: AuditDoc) => new Date(a.at).getTime() - new Date(b.at).getTime() || a.rev - b.rev || a.n - b.n;
    return entries.sort(byTime).slice(0, AUDIT_LIMIT);
  }

  /**
   * The case: the start form's values, then every completed step's submitted values, in order, each labelled as on
   * the form of the instance's version. `history` is the audit as the viewer may see it (hidden entries stay hidden).
   */
  async caseOf(instance: Pick<InstanceDoc, 'definitionId'>, history: AuditDoc[]): Promise<CaseEntry[]> {
    const definition = await this.ctx.definitions.runnableById(instance.definitionId);
    const labelled = (form: FormSchema | null | undefined, values: Record<string, unknown>) =>
      (form?.fields ?? [])
        // What the person submitted: read-only fields only showed what was already there.
        .filter((f) => !f.constraints?.readonly && Object.prototype.hasOwnProperty.call(values, f.id) && values[f.id] !== null && values[f.id] !== '')
        .map((f) => ({ id: f.id, label: f.label || f.id, value: values[f.id], display: displayValue(f, values[f.id]) }));
    const entries: CaseEntry[] = [];
    for (const e of history) {
      if (e.type === 'instance.started') {
        const values = (e.data?.variables ?? {}) as Record<string, unknown>;
        entries.push({ step: '发起', elementId: null, by: e.actor, at: e.at, fields: labelled(definition.model.startForm as FormSchema | null, values) });
      } else if (e.type === 'task.completed') {
        const step = typeof e.data?.name === 'string' ? e.data.name : e.elementId ?? '';
        if (e.data?.hidden) {
          entries.push({ step, elementId: e.elementId, by: null, at: e.at, hidden: true, fields: [] });
          continue;
        }
        const form = e.elementId ? (definition.model.userTasks.get(e.elementId)?.form as FormSchema | null | undefined) : null;
        entries.push({ step, elementId: e.elementId, by: e.actor, at: e.at, fields: labelled(form, (e.data?.values ?? {}) as Record<string, unknown>) });
      }
    }
    return entries;
  }

  /** An instance's sign-offs; without secondary indexes read by `_id` (the task they sign) from its history. */
  async getSignoffs(instanceId: string, history?: AuditDoc[]): Promise<SignoffDoc[]> {
    const { signoffs } = this.ctx.collections;
    if (this.ctx.indexedReads) return signoffs.find({ instanceId }).sort({ at: 1 }).toArray();
    const entries = (history ?? (await this.getAudit(instanceId))).filter((e) => (e.type === 'task.completed' || e.type === 'task.cosigned') && e.taskId);
    // A completion's sign-off is kept under the task's id, an added signer's (加签) under the id its entry names.
    const ids = entries.map((e) => (e.type === 'task.cosigned' ? String(e.data?.signoffId ?? '') : e.taskId!));
    const found = await Promise.all(ids.map((_id) => signoffs.findOne({ _id })));
    return found.filter((s): s is SignoffDoc => s !== null).sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  }

  // ── tasks ──

  /** Open tasks from the read side; completed ones (已办) are history, a query. */
  async listTasks(actor: Actor, query: TaskQuery): Promise<TaskDoc[]> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), PAGE_LIMIT);
    const filter = { scope: query.scope, actor, ...(query.processKey ? { processKey: query.processKey } : {}), ...(query.businessKey ? { businessKey: query.businessKey } : {}) };
    if (query.scope === 'signer') {
      // The read side knows who was added; whether they have signed is their sign-off record's to say.
      if (query.status === 'completed') return [];
      const added = await this.ctx.readModel.openTasks(filter, limit, query.before);
      const unsigned = await Promise.all(
        added.map(async (task) => !(await this.ctx.collections.signoffs.findOne({ _id: cosignId(task, actor.id) }, { projection: { _id: 1 } }))),
      );
      return added.filter((_t, i) => unsigned[i]);
    }
    if ((query.status ?? 'open') === 'open') return this.ctx.readModel.openTasks(filter, limit, query.before);
    const done: Filter<TaskDoc> = query.scope === 'mine' ? { status: 'completed', completedBy: actor.id } : { status: 'completed' };
    if (query.processKey) done.processKey = query.processKey;
    if (query.businessKey) done.businessKey = query.businessKey;
    if (query.before) {
      done.$and = [{ $or: [{ createdAt: { $lt: query.before.createdAt } }, { createdAt: query.before.createdAt, _id: { $lt: query.before.id } }] }];
    }
    return this.ctx.collections.tasks
      .find(done)
      .sort(query.scope === 'mine' ? { completedAt: -1 } : { createdAt: -1, _id: -1 })
      .limit(limit)
      .toArray();
  }

  async countTasks(actor: Actor) {
    const [mine, candidate, signer] = await Promise.all([
      this.ctx.readModel.countOpenTasks({ scope: 'mine', actor }),
      this.ctx.readModel.countOpenTasks({ scope: 'candidate', actor }),
      // Few tasks ask one person's signature: counted by listing them.
      this.ctx.readModel.countOpenTasks({ scope: 'signer', actor }).then((n) => (n ? this.listTasks(actor, { scope: 'signer', limit: PAGE_LIMIT }).then((l) => l.length) : 0)),
    ]);
    return { mine, candidate, signer };
  }

  async getTask(id: string): Promise<TaskDoc> {
    const task = this.ctx.readModel.openTask(id) ?? (await this.ctx.collections.tasks.findOne({ _id: id }));
    if (!task) throw new RuntimeError('not_found', `任务不存在：${id}`);
    return this.withForm(task);
  }

  /** A task record with its form: the form is its process version's (versions never change), not stored per task. */
  async withForm<T extends TaskDoc | null>(task: T): Promise<T> {
    if (!task) return task;
    const definition = await this.ctx.definitions.runnableById(`${task.processKey}:${task.version}`);
    return { ...task, formSchema: definition.model.userTasks.get(task.elementId)?.form ?? null };
  }

  /** The variables a task's form is shown and checked against (its sub-process iteration's included). */
  async taskContext(task: TaskDoc): Promise<Record<string, unknown>> {
    const instance = await this.ctx.collections.instances.findOne({ _id: task.instanceId }, { projection: { variables: 1, scopes: 1 } });
    return taskVariables(task, instance);
  }

  // ── notices ──

  listNotices(query: { current?: boolean; limit?: number; unitWithin?: string }) {
    const now = this.ctx.clock.now();
    const filter: Filter<NoticeDoc> = query.current ? { publishedAt: { $lte: now }, endAt: { $gte: now } } : {};
    if (query.unitWithin) filter.unitPath = query.unitWithin;
    return this.ctx.collections.notices
      .find(filter)
      .sort({ publishedAt: -1 })
      .limit(Math.min(Math.max(query.limit ?? 50, 1), PAGE_LIMIT))
      .toArray();
  }

  async getNotice(id: string) {
    const notice = await this.ctx.collections.notices.findOne({ _id: id });
    if (!notice) throw new RuntimeError('not_found', '公示不存在');
    return notice;
  }
}

/** The sign-off of a signer added to a task (加签); each 后加签 submission is a round of its own. */
export function cosignId(task: Pick<TaskDoc, '_id' | 'held'>, user: string): string {
  const round = task.held ? `:${task.held.round}` : '';
  return `${task._id}:cosign:${user}${round}`;
}
