import { createHash } from 'node:crypto';
import type { AuditDoc, HeldCompletion, InstanceDoc, OpenTaskRef, NoticeDoc, OutboxOp, PendingTimer, SignoffDoc, TaskDoc } from '../db/types.js';
import { resolve as resolveFeel } from '../expressions/feel.js';
import { addDuration } from '../engine/clock.js';
import { isDuration, parseDate } from '../engine/iso8601.js';
import type { StepResult, WaitingTask } from '../engine/run-step.js';
import type { UserTaskModel } from '../engine/model.js';
import type { OrgSnapshot } from '../org/scoping.js';
import type { RunnableDefinition } from './definitions.js';

/**
 * Turns what a step did into the fields of the instance document and the derived writes (outbox). Pure: the same
 * inputs always give the same writes, which is what makes re-applying an outbox after a crash safe.
 */

export interface StepContext {
  now: Date;
  actor: string | null;
  actorName?: string | null;
  actorGroups?: string[];
  /** The task this step completed, if any. */
  completed?: { task: TaskDoc; values: Record<string, unknown> };
  /** A claim, release, reassignment, transfer or delegation made by this step (`owner`: the delegator, or null). */
  assign?: { taskId: string; assignee: string | null; owner?: string | null; cosigners?: string[]; held?: HeldCompletion | null };
  /** Who holds the tasks this step creates, by execution id, where not the diagram (加签 of one more iteration). */
  assignNew?: Record<string, string>;
  /** Extra audit entries of the step (instance started, admin action). */
  audit?: { type: string; elementId?: string | null; taskId?: string | null; data?: Record<string, unknown> }[];
  /** The organisation, to offer new tasks to the people of the case's unit (server/org/scoping.ts). */
  org?: OrgSnapshot;
}

export interface DerivedStep {
  set: Partial<InstanceDoc>;
  outbox: OutboxOp[];
}

export function deriveStep(
  before: Pick<InstanceDoc, '_id' | 'rev' | 'variables' | 'businessKey' | 'status'> & { openTasks?: OpenTaskRef[]; unitId?: string | null },
  result: StepResult,
  definition: RunnableDefinition,
  ctx: StepContext,
): DerivedStep {
  const rev = before.rev + 1;
  const instanceId = before._id;
  const { model, doc } = definition;
  const audit: AuditDoc[] = [];
  const addAudit = (entry: Omit<AuditDoc, '_id' | 'instanceId' | 'processKey' | 'rev' | 'n'>) =>
    audit.push({ ...entry, _id: `${instanceId}:${rev}:${audit.length}`, instanceId, processKey: doc.key, rev, n: audit.length });

  for (const extra of ctx.audit ?? []) {
    addAudit({
      at: ctx.now,
      type: extra.type,
      elementId: extra.elementId ?? null,
      taskId: extra.taskId ?? null,
      actor: ctx.actor,
      data: extra.data ?? {},
    });
  }

  const outbox: OutboxOp[] = [];
  const completedTask = ctx.completed?.task;
  const distinct = !!completedTask?.isMultiInstance && !!model.userTasks.get(completedTask.elementId)?.distinctPerformers;
  const stillOffered: string[] = [];

  // Tasks: keep those still waiting, create the new ones, close the rest.
  const previous = new Map((before.openTasks ?? []).map((t) => [t.executionId, t]));
  const openTasks: OpenTaskRef[] = [];
  for (const wait of result.tasks) {
    const known = previous.get(wait.executionId);
    if (known) {
      if (ctx.assign?.taskId === known.taskId) {
        const owner = ctx.assign.owner !== undefined ? ctx.assign.owner : (known.owner ?? null);
        const cosigners = ctx.assign.cosigners ?? known.cosigners;
        const held = ctx.assign.held !== undefined ? ctx.assign.held : known.held;
        const { cosigners: _c, held: _h, ...rest } = known;
        openTasks.push({ ...rest, assignee: ctx.assign.assignee, owner, ...(cosigners?.length ? { cosigners } : {}), ...(held ? { held } : {}) });
        outbox.push({
          op: 'assignTask',
          taskId: known.taskId,
          assignee: ctx.assign.assignee,
          rev,
          owner,
          ...(ctx.assign.cosigners ? { cosigners: ctx.assign.cosigners } : {}),
          ...(ctx.assign.held !== undefined ? { held: ctx.assign.held } : {}),
        });
      } else {
        openTasks.push(known);
      }
      // The completer's other iterations of a step that needs different people are no longer theirs to take.
      if (distinct && ctx.actor && wait.elementId === completedTask!.elementId && (wait.scopeId ?? null) === (completedTask!.scopeId ?? null)) {
        stillOffered.push(known.taskId);
      }
      previous.delete(wait.executionId);
      continue;
    }
    const task = createTaskDoc(instanceId, wait, definition, result.variables, before.businessKey, ctx.now, ctx.org, before.unitId ?? null);
    if (ctx.assignNew?.[wait.executionId]) task.assignee = ctx.assignNew[wait.executionId]!;
    openTasks.push({
      taskId: task._id,
      executionId: wait.executionId,
      elementId: wait.elementId,
      createdAt: ctx.now,
      assignee: task.assignee,
    });
    outbox.push({ op: 'upsertTask', task });
    addAudit({
      at: ctx.now,
      type: 'task.created',
      elementId: wait.elementId,
      taskId: task._id,
      actor: null,
      data: { name: task.name, candidateGroups: task.candidateGroups, assignee: task.assignee, dueAt: task.dueAt },
    });
  }
  if (stillOffered.length) outbox.push({ op: 'excludePerformer', taskIds: stillOffered, user: ctx.actor! });
  const completedId = ctx.completed?.task._id;
  const cancelled = [...previous.values()].filter((t) => t.taskId !== completedId).map((t) => t.taskId);
  if (completedId) {
    outbox.push({ op: 'closeTasks', taskIds: [completedId], status: 'completed', at: ctx.now, by: ctx.actor });
    addAudit({
      at: ctx.now,
      type: 'task.completed',
      elementId: ctx.completed!.task.elementId,
      taskId: completedId,
      actor: ctx.actor,
      data: { name: ctx.completed!.task.name, values: ctx.completed!.values, changes: changes(before.variables, result.variables) },
    });
    const signoff = signoffOf(instanceId, doc.key, ctx);
    if (signoff) outbox.push({ op: 'insertSignoff', signoff });
  }
  if (cancelled.length) {
    outbox.push({ op: 'closeTasks', taskIds: cancelled, status: 'cancelled', at: ctx.now, by: null });
    for (const taskId of cancelled) {
      addAudit({ at: ctx.now, type: 'task.cancelled', elementId: null, taskId, actor: null, data: {} });
    }
  }

  for (const event of result.events) {
    if (event.type === 'element.completed' && event.elementType === 'bpmn:UserTask') continue; // told by task.completed
    addAudit({
      at: new Date(event.at),
      type: event.type,
      elementId: event.elementId,
      taskId: null,
      actor: null,
      data: {
        name: model.elementNames?.get(event.elementId) ?? null,
        ...(event.elementType ? { elementType: event.elementType } : {}),
        ...(event.detail ?? {}),
      },
    });
  }

  result.notices.forEach((notice, index) => {
    const id = `${instanceId}:${rev}:${index}`;
    const days =
      notice.period?.days ?? Math.max(0, Math.round((notice.endAt.getTime() - notice.publishedAt.getTime()) / 86_400_000));
    const record: NoticeDoc = {
      _id: id,
      instanceId,
      processKey: doc.key,
      businessKey: before.businessKey,
      template: notice.template ?? notice.kind,
      title: notice.title,
      kind: notice.kind,
      html: notice.body,
      days,
      workingDays: notice.period?.workingDays ?? false,
      publishedAt: notice.publishedAt,
      endAt: notice.endAt,
      elementId: null,
      unitId: before.unitId ?? null,
      unitPath: before.unitId && ctx.org ? ctx.org.path(before.unitId) : [],
    };
    outbox.push({ op: 'insertNotice', notice: record });
    addAudit({ at: ctx.now, type: 'notice.published', elementId: null, taskId: null, actor: null, data: { noticeId: id, title: notice.title } });
  });

  const status = result.status;
  if (status === 'completed' && before.status !== 'completed') {
    addAudit({ at: ctx.now, type: 'instance.completed', elementId: null, taskId: null, actor: null, data: {} });
  }

  if (audit.length) outbox.push({ op: 'insertAudit', entries: audit });

  const timers: PendingTimer[] = result.timers.map((t) => ({
    id: `${t.elementId}:${t.executionId}`,
    elementId: t.elementId,
    executionId: t.executionId,
    dueAt: new Date(t.dueAt),
    expression: '',
  }));
  const nextTimerAt = timers.length ? new Date(Math.min(...timers.map((t) => t.dueAt.getTime()))) : null;
  const incidents = result.incidents.map((i) => ({ elementId: i.elementId, message: i.message, at: new Date(i.at), detail: i.executionId }));

  const set: Partial<InstanceDoc> & { openTasks: OpenTaskRef[] } = {
    rev,
    status,
    engineState: result.stateText ?? JSON.stringify(result.state),
    variables: result.variables,
    scopes: result.scopes,
    activeElements: [...new Set([...result.tasks.map((t) => t.elementId), ...timers.map((t) => t.elementId), ...incidents.map((i) => i.elementId)])],
    timers,
    nextTimerAt,
    incident: incidents[0] ?? null,
    incidents,
    openTasks,
    updatedAt: ctx.now,
    ...(status === 'completed' ? { endedAt: ctx.now } : {}),
  };
  return { set, outbox };
}

function createTaskDoc(
  instanceId: string,
  wait: WaitingTask,
  definition: RunnableDefinition,
  variables: Record<string, unknown>,
  businessKey: string | null,
  now: Date,
  org: OrgSnapshot | undefined,
  caseUnit: string | null,
): TaskDoc {
  const { model, doc } = definition;
  const spec: UserTaskModel | undefined = model.userTasks.get(wait.elementId);
  const elementVariable = model.elementVariables.get(wait.elementId);
  const context = { ...variables, ...(wait.scopeVariables ?? {}), ...(elementVariable ? { [elementVariable]: wait.elementValue } : {}) };
  const text = (value: unknown) => (value === null || value === undefined ? null : String(resolveFeel(value, context) ?? '') || null);
  const list = (values: string[] | undefined) =>
    (values ?? []).flatMap((v) => {
      const resolved = resolveFeel(v, context);
      return (Array.isArray(resolved) ? resolved : String(resolved ?? '').split(',')).map((s) => String(s).trim()).filter(Boolean);
    });
  const unitId = org ? org.taskUnit(caseUnit, wait.scopeLabel) : caseUnit;
  const roles = list(spec?.candidateGroups);
  // A later iteration of a step that needs different people is not offered to those who did an earlier one.
  const earlier = spec?.distinctPerformers && wait.loopIndex !== null ? context[`${wait.elementId}Results`] : null;
  const excludedUsers = Array.isArray(earlier)
    ? [...new Set(earlier.map((r) => (r as { by?: unknown })?.by).filter((by): by is string => typeof by === 'string'))]
    : [];
  return {
    _id: `${instanceId}:${wait.executionId}`,
    instanceId,
    processKey: doc.key,
    processName: doc.name,
    version: doc.version,
    elementId: wait.elementId,
    name: spec?.name ?? wait.elementId,
    executionId: wait.executionId,
    businessKey,
    candidateGroups: org ? org.candidateGroups(roles, unitId) : roles,
    candidateUsers: list(spec?.candidateUsers),
    assignee: text(spec?.assignee),
    dueAt: dueDateOf(spec?.dueDate ?? null, context, now),
    priority: Number(resolveFeel(spec?.priority ?? 50, context)) || 50,
    formSchema: spec?.form ?? null,
    documentation: spec?.documentation ?? null,
    status: 'open',
    createdAt: now,
    completedAt: null,
    completedBy: null,
    isMultiInstance: wait.loopIndex !== null,
    loopIndex: wait.loopIndex,
    ...(elementVariable ? { elementVariable: { name: elementVariable, value: wait.elementValue } } : {}),
    scopeId: wait.scopeId ?? null,
    subject: wait.scopeLabel ?? null,
    unitPath: org && unitId ? org.path(unitId) : [],
    ...(excludedUsers.length ? { excludedUsers } : {}),
  } as TaskDoc;
}

/** `camunda:dueDate`: an ISO date, an ISO duration counted from task creation, or `${FEEL}` giving either. */
export function dueDateOf(expression: string | null, context: Record<string, unknown>, now: Date): Date | null {
  if (!expression) return null;
  const value = resolveFeel(expression, context);
  if (value instanceof Date) return value;
  if (typeof value !== 'string' || !value.trim()) return null;
  if (isDuration(value)) return addDuration(now, value);
  return parseDate(value);
}

function changes(before: Record<string, unknown>, after: Record<string, unknown>) {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = JSON.stringify(before[key] ?? null);
    const b = JSON.stringify(after[key] ?? null);
    if (a !== b) out[key] = { from: before[key] ?? null, to: after[key] ?? null };
  }
  return out;
}

function signoffOf(instanceId: string, processKey: string, ctx: StepContext): SignoffDoc | null {
  const completed = ctx.completed;
  if (!completed) return null;
  const schema = completed.task.formSchema as { approval?: boolean } | null;
  const decision = completed.values.decision;
  if (!schema?.approval || (decision !== 'approve' && decision !== 'reject' && decision !== 'return')) return null;
  const group = completed.task.candidateGroups.find((g) => ctx.actorGroups?.includes(g)) ?? null;
  const documentation = completed.task.documentation;
  return {
    _id: completed.task._id,
    instanceId,
    processKey,
    taskId: completed.task._id,
    elementId: completed.task.elementId,
    stepName: completed.task.name,
    decision,
    opinion: typeof completed.values.opinion === 'string' && completed.values.opinion ? completed.values.opinion : null,
    by: ctx.actor ?? 'system',
    byName: ctx.actorName ?? null,
    group,
    at: ctx.now,
    source: documentation ? documentation.split('\n')[0].trim() || null : null,
    loopIndex: completed.task.loopIndex,
    valuesHash: hashValues(completed.values),
  } as SignoffDoc;
}

/** SHA-256 of the submitted values with keys sorted, so the same submission always hashes the same. */
export function hashValues(values: Record<string, unknown>): string {
  const canonical = JSON.stringify(values, (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
  return createHash('sha256').update(canonical).digest('hex');
}
