import type { StepResult } from '../../engine/run-step.js';
import type { AuditDoc, HeldCompletion, TaskDoc } from '../../db/types.js';
import { cosignId } from '../queries.js';
import { RuntimeError, type Actor } from '../api.js';
import type { RuntimeContext } from '../context.js';
import { unchangedResult } from '../engine-step.js';
import type { Instance } from '../instance-store.js';
import type { Queries } from '../queries.js';
import { canAct, refuseRepeatPerformer, refuseSecondIteration, refuseUnstorableValues, requireReason } from '../task-input.js';
import { stepChange } from './step-change.js';

/**
 * The approval actions of Chinese practice on an open task or a case (docs/WEB.md, "审批操作"): 转办, 委派, 抄送, 催办,
 * 暂存 and the starter's 撤回. Each that changes who holds a task or the case commits like every step (an audit entry
 * in the same unit of work); the records they leave (copies, reminders, drafts, messages) are written by `_id`.
 */

/** How often one task may be reminded (催办), unless the server says otherwise (REMIND_INTERVAL_MINUTES). */
export const DEFAULT_REMIND_INTERVAL_MINUTES = 60;
/** Longest reason or note accepted with an action. */
const MAX_REASON = 500;
/** Largest draft (暂存), as JSON text. */
const MAX_DRAFT_BYTES = 256 * 1024;

export function checkReason(reason: unknown, required: boolean): string | null {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (required) requireReason(text);
  if (text.length > MAX_REASON) throw new RuntimeError('bad_request', `原因不能超过 ${MAX_REASON} 个字`, { fields: { reason: `最多 ${MAX_REASON} 个字` } });
  return text || null;
}

/** An enabled user other than the actor, by user name. */
export async function targetUser(ctx: RuntimeContext, name: unknown, actor: Actor, field = 'to'): Promise<{ id: string; displayName: string }> {
  const id = typeof name === 'string' ? name.trim().toLowerCase() : '';
  if (!id) throw new RuntimeError('validation_failed', '请选择人员', { fields: { [field]: '请选择人员' } });
  const user = await ctx.collections.users.findOne({ _id: id }, { projection: { displayName: 1, disabled: 1 } });
  if (!user || user.disabled) throw new RuntimeError('validation_failed', `用户“${id.slice(0, 64)}”不存在或已停用`, { fields: { [field]: '用户不存在或已停用' } });
  if (user._id === actor.id) throw new RuntimeError('validation_failed', '不能选择自己', { fields: { [field]: '不能选择自己' } });
  return { id: user._id, displayName: user.displayName };
}

/** A task whose holder submitted it for signers to sign after (后加签) is theirs until they have signed. */
export function refuseHeld(task: Pick<TaskDoc, 'held'>): void {
  if (task.held) throw new RuntimeError('conflict', '该任务已提交，正在等待后加签人签署，暂不能办理');
}

/** Whether the actor holds the task now, or may take it from the pool. */
export function mayHandle(task: TaskDoc, actor: Actor): boolean {
  return task.assignee === actor.id || (!task.assignee && canAct(task, actor));
}

/** Who holds a task after a change, with its 加签 state when the change sets it. */
type Holder = { assignee: string | null; owner: string | null; cosigners?: string[]; held?: HeldCompletion | null };

/** Commits a change of an open task's holder with its audit entry; `decide` sees the instance's current holder. */
export async function changeHolder(
  ctx: RuntimeContext,
  task: TaskDoc,
  actor: Actor,
  audit: { type: string; data: Record<string, unknown> },
  decide: (
    entry: { assignee: string | null; owner: string | null },
    instance: Instance,
  ) => Holder,
): Promise<void> {
  if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结');
  const definition = await ctx.definitions.runnableById(`${task.processKey}:${task.version}`);
  await ctx.work.run(task.instanceId, async (instance) => {
    const entry = (instance.openTasks ?? []).find((t) => t.taskId === task._id);
    if (!entry || instance.status === 'cancelled' || instance.status === 'completed') throw new RuntimeError('conflict', '该任务已办结或已被取消');
    const next = decide({ assignee: entry.assignee ?? null, owner: entry.owner ?? null }, instance);
    return stepChange(definition, instance, unchangedResult(instance), {
      now: ctx.clock.now(),
      actor: actor.id,
      assign: {
        taskId: task._id,
        assignee: next.assignee,
        owner: next.owner,
        ...(next.cosigners ? { cosigners: next.cosigners } : {}),
        ...(next.held !== undefined ? { held: next.held } : {}),
      },
      audit: [{ type: audit.type, elementId: task.elementId, taskId: task._id, data: audit.data }],
    });
  });
}

/** 转办: the holder (or a candidate of an unclaimed task) hands the task to another person, who then holds it. */
export async function transferTask(ctx: RuntimeContext, queries: Queries, taskId: string, to: unknown, reason: unknown, actor: Actor): Promise<TaskDoc> {
  const task = await queries.getTask(taskId);
  if (!mayHandle(task, actor)) throw new RuntimeError('forbidden', '只有当前办理人（或未签收任务的候选人）可以转办');
  refuseHeld(task);
  const why = checkReason(reason, true);
  const target = await targetUser(ctx, to, actor);
  const definition = await ctx.definitions.runnableById(`${task.processKey}:${task.version}`);
  await changeHolder(ctx, task, actor, { type: 'task.transferred', data: { from: actor.id, to: target.id, reason: why } }, (entry, instance) => {
    if (entry.assignee && entry.assignee !== actor.id) throw new RuntimeError('conflict', '该任务已由他人签收');
    if (entry.owner) throw new RuntimeError('conflict', '委派中的任务不能转办：请先办理或由委派人收回');
    refuseRepeatPerformer(definition, instance, task, target.id, target.displayName);
    refuseSecondIteration(definition, instance, task, target.id, target.displayName);
    return { assignee: target.id, owner: null };
  });
  await ctx.mailbox.deliver(target.id, message('transfer', task, actor, `转办给您：${label(task)}`, why, ctx.clock.now()));
  return queries.getTask(taskId);
}

/** 委派: the holder asks another person to do the work; when the delegate submits, the task returns to the holder. */
export async function delegateTask(ctx: RuntimeContext, queries: Queries, taskId: string, to: unknown, reason: unknown, actor: Actor): Promise<TaskDoc> {
  const task = await queries.getTask(taskId);
  if (!mayHandle(task, actor)) throw new RuntimeError('forbidden', '只有当前办理人（或未签收任务的候选人）可以委派');
  refuseHeld(task);
  const why = checkReason(reason, false);
  const target = await targetUser(ctx, to, actor);
  await changeHolder(ctx, task, actor, { type: 'task.delegated', data: { from: actor.id, to: target.id, reason: why } }, (entry) => {
    if (entry.assignee && entry.assignee !== actor.id) throw new RuntimeError('conflict', '该任务已由他人签收');
    if (entry.owner) throw new RuntimeError('conflict', '该任务已在委派中');
    return { assignee: target.id, owner: actor.id };
  });
  await ctx.mailbox.deliver(target.id, message('delegate', task, actor, `委派给您：${label(task)}（办理后交回 ${actor.displayName ?? actor.id}）`, why, ctx.clock.now()));
  return queries.getTask(taskId);
}

/**
 * The delegate is done (the runtime's `complete` calls this for a delegated task): the submitted values, checked
 * against the form, become the delegator's draft, and the task goes back to the delegator to finish.
 */
export async function resolveDelegation(ctx: RuntimeContext, queries: Queries, task: TaskDoc, values: Record<string, unknown>, actor: Actor): Promise<TaskDoc> {
  let owner: string | null = null;
  await changeHolder(ctx, task, actor, { type: 'task.resolved', data: { values } }, (entry) => {
    if (!entry.owner || entry.assignee !== actor.id) throw new RuntimeError('conflict', '该任务已不在您的委派中');
    owner = entry.owner;
    return { assignee: entry.owner, owner: null };
  });
  const delegator = owner as string | null;
  if (delegator) {
    await saveDraftRecord(ctx, task._id, delegator, values);
    await ctx.mailbox.deliver(delegator, message('resolved', task, actor, `委派已办理，请复核提交：${label(task)}`, null, ctx.clock.now()));
  }
  return queries.getTask(task._id);
}

/** 撤回: the starter withdraws the case while nobody else has acted on it; it ends as cancelled. */
export async function withdrawInstance(ctx: RuntimeContext, instanceId: string, reason: unknown, actor: Actor, history: AuditDoc[]): Promise<void> {
  const why = checkReason(reason, true);
  await ctx.work.run(instanceId, async (instance) => {
    if (instance.startedBy !== actor.id) throw new RuntimeError('forbidden', '只有发起人可以撤回');
    if (instance.status === 'completed' || instance.status === 'cancelled') throw new RuntimeError('conflict', '流程已结束，不能撤回');
    if (history.some((e) => e.actor && e.actor !== actor.id)) {
      throw new RuntimeError('conflict', '已有人办理过该流程，不能撤回：请联系当前办理人退回，或由管理员取消');
    }
    // The history read before this step must be the instance's whole history, else someone acted meanwhile.
    if (instance.rev !== Math.max(0, ...history.map((e) => e.rev))) throw new RuntimeError('conflict', '流程刚刚发生了变化，请刷新后再试');
    if ((instance.openTasks ?? []).some((t) => t.assignee && t.assignee !== actor.id)) {
      throw new RuntimeError('conflict', '已有人签收了待办，不能撤回');
    }
    const definition = await ctx.definitions.runnableById(instance.definitionId);
    const result: StepResult = {
      ...unchangedResult(instance),
      tasks: [],
      timers: [],
    };
    return stepChange(definition, instance, result, { now: ctx.clock.now(), actor: actor.id, audit: [{ type: 'instance.withdrawn', data: { reason: why } }] }, 'cancelled');
  });
}

/**
 * 抄送: the case is copied to people (by user name) and to the holders of roles in the case's unit, who then may
 * see it and find it under 抄送我的. Whoever may handle the task, or completed it, may copy it.
 */
export async function copyTask(
  ctx: RuntimeContext,
  queries: Queries,
  taskId: string,
  input: { users?: unknown; groups?: unknown; note?: unknown },
  actor: Actor,
): Promise<{ copied: string[] }> {
  const task = await queries.getTask(taskId);
  if (!mayHandle(task, actor) && task.completedBy !== actor.id) throw new RuntimeError('forbidden', '只有办理人可以抄送');
  const note = checkReason(input.note, false);
  const names = listOf(input.users, 'users');
  const groups = listOf(input.groups, 'groups');
  if (!names.length && !groups.length) throw new RuntimeError('validation_failed', '请选择抄送的人员或角色', { fields: { users: '请选择抄送的人员或角色' } });
  const recipients = new Set<string>();
  for (const name of names) recipients.add((await targetUser(ctx, name, actor, 'users')).id);
  const org = await ctx.org.snapshot();
  const instance = await queries.getInstance(task.instanceId);
  for (const group of groups) {
    const keys = org.candidateGroups([group], instance.instance.unitId ?? null);
    const members = keys.flatMap((k) => org.membersOf(k));
    if (!members.length) throw new RuntimeError('validation_failed', `本案所属单位没有担任“${group}”的人员`, { fields: { groups: '该角色没有人员' } });
    for (const m of members) if (m !== actor.id) recipients.add(m);
  }
  const copied = [...recipients];
  await changeHolder(ctx, task, actor, { type: 'task.copied', data: { to: copied, note } }, (entry) => ({ assignee: entry.assignee, owner: entry.owner }));
  await recordCopies(ctx, task, copied, actor, note);
  return { copied };
}

/** Copies and their messages, by `_id`: copying the same case to the same person again refreshes theirs. */
export async function recordCopies(ctx: RuntimeContext, task: TaskDoc, users: string[], actor: Actor, note: string | null): Promise<void> {
  const now = ctx.clock.now();
  for (const user of users) {
    const copy = {
      instanceId: task.instanceId,
      taskId: task._id,
      user,
      by: actor.id,
      at: now,
      processName: task.processName,
      businessKey: task.businessKey,
      step: task.name,
      note,
    };
    await ctx.collections.copies.updateOne({ _id: `${task.instanceId}:${user}` }, { $set: copy }, { upsert: true });
    await ctx.mailbox.deliver(user, message('cc', task, actor, `抄送：${label(task)}`, note, now, `${task._id}:${now.getTime()}`));
  }
}

/**
 * 催办: reminds whoever can act on the task (its holder, else its candidates in the case's unit). At most once per
 * interval per task: the reminder's `_id` names the interval window, so two at once cannot both pass.
 */
export async function remindTask(ctx: RuntimeContext, queries: Queries, taskId: string, actor: Actor, intervalMinutes: number): Promise<{ reminded: string[]; nextAllowedAt: Date }> {
  const task = await queries.getTask(taskId);
  if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结，无需催办');
  // While added signers have not signed, they are the ones the task waits for.
  const unsigned = (await pendingSigners(ctx, task)).filter((u) => u !== actor.id);
  if (!unsigned.length && (task.assignee === actor.id || (!task.assignee && canAct(task, actor)))) throw new RuntimeError('bad_request', '这是您自己的待办，无需催办');
  const now = ctx.clock.now();
  const windowMs = Math.max(1, intervalMinutes) * 60_000;
  const window = Math.floor(now.getTime() / windowMs);
  const nextAllowedAt = new Date((window + 1) * windowMs);
  try {
    await ctx.collections.reminders.insertOne({ _id: `${task._id}:${window}`, taskId: task._id, by: actor.id, at: now });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    const at = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false }).format(nextAllowedAt);
    throw new RuntimeError('rate_limited', `该待办刚催办过：每 ${intervalMinutes} 分钟最多催办一次，请于北京时间 ${at} 后再催办`);
  }
  const org = await ctx.org.snapshot();
  const targets = unsigned.length
    ? unsigned
    : task.assignee
    ? [task.assignee]
    : [...new Set([...task.candidateUsers, ...task.candidateGroups.flatMap((k) => org.membersOf(k))])].filter((u) => u !== actor.id && !(task.excludedUsers ?? []).includes(u));
  await changeHolder(ctx, task, actor, { type: 'task.reminded', data: { to: targets } }, (entry) => ({ assignee: entry.assignee, owner: entry.owner }));
  for (const user of targets) await ctx.mailbox.deliver(user, message('remind', task, actor, `催办：${label(task)}`, null, now, `${task._id}:${window}`));
  return { reminded: targets, nextAllowedAt };
}

/** The added signers of a task who have not signed yet. */
export async function pendingSigners(ctx: RuntimeContext, task: TaskDoc): Promise<string[]> {
  const signers = task.cosigners ?? [];
  const found = await Promise.all(signers.map((u) => ctx.collections.signoffs.findOne({ _id: cosignId(task, u) }, { projection: { _id: 1 } })));
  return signers.filter((_u, i) => !found[i]);
}

/** 暂存: the form as typed, kept for its author until the task is done. */
export async function saveTaskDraft(ctx: RuntimeContext, queries: Queries, taskId: string, values: unknown, actor: Actor): Promise<Date> {
  const task = await queries.getTask(taskId);
  if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结');
  if (!mayHandle(task, actor)) throw new RuntimeError('forbidden', '只有办理人可以暂存');
  refuseHeld(task);
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new RuntimeError('bad_request', 'values 必须是对象');
  refuseUnstorableValues(values);
  if (Buffer.byteLength(JSON.stringify(values)) > MAX_DRAFT_BYTES) throw new RuntimeError('bad_request', '暂存内容过大');
  return saveDraftRecord(ctx, task._id, actor.id, values as Record<string, unknown>);
}

export async function saveDraftRecord(ctx: RuntimeContext, taskId: string, user: string, values: Record<string, unknown>): Promise<Date> {
  return ctx.taskDrafts.save(taskId, user, values, ctx.clock.now());
}

export function listOf(value: unknown, field: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.some((v) => typeof v !== 'string')) throw new RuntimeError('bad_request', `${field} 应为文本列表`, { fields: { [field]: '应为文本列表' } });
  return [...new Set((list as string[]).map((v) => v.trim()).filter(Boolean))].slice(0, 100);
}

export function label(task: TaskDoc): string {
  return `${task.name}${task.businessKey ? `（${task.businessKey}）` : ''}`;
}

export function message(
  kind: 'transfer' | 'delegate' | 'resolved' | 'cc' | 'remind' | 'cosign' | 'cosigned' | 'released', task: TaskDoc, actor: Actor, title: string, text: string | null, at: Date, suffix?: string) {
  return { id: `${kind}:${suffix ?? `${task._id}:${at.getTime()}`}`, kind, title, text, instanceId: task.instanceId, taskId: task._id, by: actor.id, at };
}
