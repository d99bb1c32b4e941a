import { randomUUID } from 'node:crypto';
import type { SignoffDoc, TaskDoc } from '../../db/types.js';
import { RuntimeError, type Actor } from '../api.js';
import type { RuntimeContext } from '../context.js';
import { hashValues } from '../derive.js';
import { engineStep } from '../engine-step.js';
import { cosignId, type Queries } from '../queries.js';
import { checkTaskInput, loopSiblings, refuseUnstorableValues } from '../task-input.js';
import { toActor } from '../../auth/users.js';
import { scopedVariables } from '../../engine/scopes.js';
import { changeHolder, checkReason, label, listOf, mayHandle, message, pendingSigners, refuseHeld, saveDraftRecord, targetUser } from './approval.js';
import { completeTask } from './complete.js';
import { stepChange } from './step-change.js';

/**
 * 加签 (docs/WEB.md, "审批操作"), in the three places Chinese practice puts an added signer:
 * - `before` (前加签): they sign first; the holder can submit only once all have signed;
 * - `after` (后加签): the holder submits now; the task completes with what they submitted once all have signed, and
 *   goes back to them if one does not agree;
 * - `instance` (会签加人): one more iteration of a multi-instance sign-off (one more expert), held by each person named.
 */
export type SignerPosition = 'before' | 'after' | 'instance';
const POSITIONS: readonly unknown[] = ['before', 'after', 'instance'] satisfies SignerPosition[];

export interface AddSignersInput {
  users?: unknown;
  reason?: unknown;
  position?: unknown;
  /** The form, with `after`: what the task completes with. */
  values?: unknown;
}

/** The task as it is now, and the tasks the 加签 created (会签加人's new iterations). */
export interface SignersAdded {
  task: TaskDoc;
  created: string[];
}

export async function addSigners(ctx: RuntimeContext, queries: Queries, taskId: string, input: AddSignersInput, actor: Actor): Promise<SignersAdded> {
  const task = await queries.getTask(taskId);
  if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结');
  if (!mayHandle(task, actor)) throw new RuntimeError('forbidden', '只有当前办理人可以加签');
  refuseHeld(task);
  const position = input.position ?? 'before';
  if (!POSITIONS.includes(position)) {
    throw new RuntimeError('validation_failed', '加签方式应为 before（前加签）、after（后加签）或 instance（增加一份）', { fields: { position: '加签方式无效' } });
  }
  const why = checkReason(input.reason, true);
  const names = listOf(input.users, 'users');
  if (!names.length) throw new RuntimeError('validation_failed', '请选择加签人员', { fields: { users: '请选择加签人员' } });
  const added: string[] = [];
  for (const name of names) added.push((await targetUser(ctx, name, actor, 'users')).id);
  if (position === 'instance') return addInstances(ctx, queries, task, added, why, actor);

  let values: Record<string, unknown> | null = null;
  if (position === 'after') {
    refuseUnstorableValues(input.values);
    const view = await queries.getInstance(task.instanceId);
    values = checkTaskInput(task, input.values, view.instance, ctx.clock.now());
  }
  const at = ctx.clock.now();
  await changeHolder(ctx, task, actor, { type: 'task.signers_added', data: { users: added, reason: why, position, ...(values ? { values } : {}) } }, (entry, instance) => {
    if (entry.assignee && entry.assignee !== actor.id) throw new RuntimeError('conflict', '该任务已由他人签收');
    if (entry.owner) throw new RuntimeError('conflict', '委派中的任务不能加签');
    const open = instance.openTasks?.find((t) => t.taskId === task._id);
    if (open?.held) throw new RuntimeError('conflict', '该任务已提交，正在等待后加签人签署');
    const known = open?.cosigners ?? [];
    if (!values) return { assignee: actor.id, owner: null, cosigners: [...new Set([...known, ...added])] };
    if (known.length) throw new RuntimeError('conflict', '已有加签人：请待其签署后再提交');
    // The holder submits now: the form waits on the task until the added signers have signed.
    return { assignee: actor.id, owner: null, cosigners: added, held: { values, by: actor.id, at, round: randomUUID().slice(0, 8) } };
  });
  for (const user of added) {
    const title = position === 'after' ? `请后加签：${label(task)}（已由 ${actor.displayName ?? actor.id} 提交，您签署后流程继续）` : `请加签：${label(task)}`;
    await ctx.mailbox.deliver(user, message('cosign', task, actor, title, why, at, `${task._id}:${user}`));
  }
  // Submitted (后加签): a draft would only be older than what now waits for the signers.
  if (values) await ctx.taskDrafts.discard(task._id, actor.id);
  return { task: await queries.getTask(taskId), created: [] };
}

/** 会签加人: one more iteration of the multi-instance step per person, held by them, started beside the open ones. */
async function addInstances(ctx: RuntimeContext, queries: Queries, task: TaskDoc, added: string[], why: string | null, actor: Actor): Promise<SignersAdded> {
  if (!task.isMultiInstance) throw new RuntimeError('validation_failed', '该环节不是多人分别办理的环节：请选择前加签或后加签', { fields: { position: '该环节不能增加一份' } });
  const definition = await ctx.definitions.runnableById(`${task.processKey}:${task.version}`);
  const spec = definition.model.userTasks.get(task.elementId);
  const elementVariable = definition.model.elementVariables.get(task.elementId);
  const now = ctx.clock.now();
  let createdIds: string[] = [];
  await ctx.work.run(task.instanceId, async (instance) => {
    const entry = (instance.openTasks ?? []).find((t) => t.taskId === task._id);
    if (!entry || instance.status !== 'running') throw new RuntimeError('conflict', '该任务已办结或已被取消');
    if (entry.assignee && entry.assignee !== actor.id) throw new RuntimeError('conflict', '该任务已由他人签收');
    // A step that needs different people is not given to whoever did or holds one of its iterations here.
    const siblings = loopSiblings(instance, task);
    const results = scopedVariables(instance.variables ?? {}, instance.scopes ?? {}, task.scopeId ?? null)[`${task.elementId}Results`];
    const did = new Set(Array.isArray(results) ? results.map((r) => (r as { by?: unknown })?.by) : []);
    for (const user of added) {
      const holds = entry.assignee === user || siblings.some((t) => t.assignee === user);
      if (holds || (spec?.distinctPerformers && did.has(user))) {
        throw new RuntimeError('validation_failed', `“${user}”已${holds ? '在办理' : '办理过'}该环节的一份：该环节须由不同人员各自办理`, { fields: { users: '已办理该环节' } });
      }
    }
    const result = await engineStep(ctx, definition, instance, { type: 'addIterations', executionId: task.executionId, elementValues: added.map((u) => (elementVariable ? u : null)) });
    const known = new Set((instance.openTasks ?? []).map((t) => t.executionId));
    const created = result.tasks.filter((t) => !known.has(t.executionId) && t.elementId === task.elementId).sort((a, b) => (a.loopIndex ?? 0) - (b.loopIndex ?? 0));
    if (created.length !== added.length) throw new RuntimeError('conflict', '未能增加该环节的份数，请刷新后再试');
    createdIds = created.map((t) => `${task.instanceId}:${t.executionId}`);
    return stepChange(definition, instance, result, {
      now,
      actor: actor.id,
      audit: [{ type: 'task.signers_added', elementId: task.elementId, taskId: task._id, data: { users: added, reason: why, position: 'instance' } }],
      assignNew: Object.fromEntries(created.map((t, i) => [t.executionId, added[i]!])),
      org: await ctx.org.snapshot(),
    });
  });
  for (const [i, user] of added.entries()) {
    await ctx.mailbox.deliver(user, { ...message('cosign', task, actor, `请办理（加签增加一份）：${label(task)}`, why, now, `${createdIds[i]}:${user}`), taskId: createdIds[i] ?? null });
  }
  return { task: await queries.getTask(task._id), created: createdIds };
}

/**
 * An added signer signs (加签): once, with a decision and, unless they approve, an opinion. After 后加签, the last
 * signature completes the task with the holder's submitted form; a signer who does not agree sends it back to them.
 */
export async function cosignTask(ctx: RuntimeContext, queries: Queries, taskId: string, input: { decision?: unknown; opinion?: unknown }, actor: Actor): Promise<SignoffDoc> {
  const task = await queries.getTask(taskId);
  if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结');
  if (!(task.cosigners ?? []).includes(actor.id)) throw new RuntimeError('forbidden', '您不是该任务的加签人');
  const decision = input.decision;
  if (decision !== 'approve' && decision !== 'reject') {
    throw new RuntimeError('validation_failed', '请选择签署意见：同意或不同意', { fields: { decision: '请选择同意或不同意' } });
  }
  const opinion = checkReason(input.opinion, decision !== 'approve');
  const now = ctx.clock.now();
  // After 后加签 the signature is bound to the submitted form as well as to the signer's own words.
  const signed = task.held ? { decision, opinion, form: task.held.values } : { decision, opinion };
  const signoff: SignoffDoc = {
    _id: cosignId(task, actor.id),
    instanceId: task.instanceId,
    processKey: task.processKey,
    taskId: task._id,
    elementId: task.elementId,
    stepName: `${task.name}（${task.held ? '后加签' : '加签'}）`,
    decision,
    opinion,
    by: actor.id,
    byName: actor.displayName ?? null,
    at: now,
    source: task.documentation ? task.documentation.split('\n')[0]!.trim() || null : null,
    loopIndex: task.loopIndex,
    group: null,
    valuesHash: hashValues(signed),
  };
  try {
    await ctx.collections.signoffs.insertOne(signoff);
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    // Signing again after a lost reply (or a crash) finishes what that signature started.
    if (task.held) await settleHeld(ctx, queries, task, null);
    throw new RuntimeError('conflict', '您已签署过，不能重复签署');
  }
  await changeHolder(ctx, task, actor, { type: 'task.cosigned', data: { decision, opinion, signoffId: signoff._id } }, (entry) => ({ assignee: entry.assignee, owner: entry.owner }));
  if (task.assignee) {
    await ctx.mailbox.deliver(task.assignee, message('cosigned', task, actor, `加签人已签署（${decision === 'approve' ? '同意' : '不同意'}）：${label(task)}`, opinion, now, `${task._id}:${actor.id}`));
  }
  if (task.held) await settleHeld(ctx, queries, task, decision === 'reject' ? { by: actor, opinion } : null);
  return signoff;
}

/**
 * After a signature on a task submitted for 后加签: a disagreement returns the task and its form (as a draft) to the
 * holder; the last agreement completes it as the holder submitted it. Two last signatures at once complete it once.
 */
async function settleHeld(ctx: RuntimeContext, queries: Queries, signedTask: Pick<TaskDoc, '_id'>, refused: { by: Actor; opinion: string | null } | null): Promise<void> {
  const task = await queries.getTask(signedTask._id);
  const held = task.held;
  if (task.status !== 'open' || !held) return;
  if (refused) {
    const why = `${refused.by.displayName ?? refused.by.id} 不同意${refused.opinion ? `：${refused.opinion}` : ''}`;
    return releaseHeld(ctx, task, refused.by, why, `后加签未通过，已退回您修改：${label(task)}`);
  }
  if ((await pendingSigners(ctx, task)).length) return;
  const holderDoc = await ctx.collections.users.findOne({ _id: held.by });
  const system: Actor = { id: held.by, groups: [] };
  if (!holderDoc || holderDoc.disabled) return releaseHeld(ctx, task, system, '提交人账号已停用，请由接办人重新提交', `后加签已签署，但提交人账号已停用：${label(task)}`);
  try {
    await completeTask(ctx, queries, task._id, held.values, toActor(holderDoc), { heldBy: held.by });
  } catch (err) {
    if (!(err instanceof RuntimeError)) throw err;
    // Completed meanwhile by the other last signature: nothing to do.
    if ((await queries.getTask(task._id)).status !== 'open') return;
    if (err.code === 'validation_failed' || err.code === 'forbidden') {
      return releaseHeld(ctx, task, system, `表单已不能按原样提交：${err.message}`, `后加签已签署，但表单需要修改后重新提交：${label(task)}`);
    }
    throw err;
  }
}

/**
 * At start-up: submissions whose last signature was recorded but whose completion a crash cut off are completed
 * now (the others keep waiting). One that cannot be settled is left for its signers or submitter, and logged.
 */
export async function settleHeldSubmissions(ctx: RuntimeContext, queries: Queries): Promise<void> {
  for (const taskId of await ctx.readModel.heldSubmissions()) {
    await settleHeld(ctx, queries, { _id: taskId }, null).catch((err: unknown) => {
      console.error(`[runtime] start-up could not settle the 后加签 submission of task ${taskId}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
}

/**
 * Ends a 后加签 submission without completing the task: it goes back to whoever submitted it, their form as a draft,
 * and the signers who had not signed are told they need not.
 */
export async function releaseHeld(ctx: RuntimeContext, task: TaskDoc, actor: Actor, why: string, title: string): Promise<void> {
  const held = task.held;
  if (!held) return;
  const unsigned = await pendingSigners(ctx, task);
  await changeHolder(ctx, task, actor, { type: 'task.held_released', data: { reason: why } }, (entry, instance) => {
    if (!instance.openTasks?.find((t) => t.taskId === task._id)?.held) throw new RuntimeError('conflict', '该提交已不在等待加签');
    return { assignee: held.by, owner: entry.owner, cosigners: [], held: null };
  });
  await saveDraftRecord(ctx, task._id, held.by, held.values);
  const now = ctx.clock.now();
  if (actor.id !== held.by) await ctx.mailbox.deliver(held.by, message('released', task, actor, title, why, now, `${task._id}:${now.getTime()}`));
  for (const user of unsigned.filter((u) => u !== actor.id)) {
    await ctx.mailbox.deliver(user, message('released', task, actor, `无需再签署：${label(task)}（提交已退回办理人）`, why, now, `${task._id}:${user}:${now.getTime()}`));
  }
}

/** 撤回 a 后加签 submission: whoever submitted it takes it back, before the signers have all agreed. */
export async function recallHeld(ctx: RuntimeContext, queries: Queries, task: TaskDoc, reason: unknown, actor: Actor): Promise<TaskDoc> {
  if (!task.held || task.status !== 'open') throw new RuntimeError('conflict', '该任务没有等待加签的提交');
  if (task.held.by !== actor.id) throw new RuntimeError('forbidden', '只有提交人可以撤回提交');
  const why = checkReason(reason, false);
  await releaseHeld(ctx, task, actor, why ? `提交人撤回：${why}` : '提交人撤回了提交', '');
  return queries.getTask(task._id);
}
