import type { TaskDoc } from '../../db/types.js';
import { RuntimeError, type Actor } from '../api.js';
import type { RuntimeContext } from '../context.js';
import { unchangedResult } from '../engine-step.js';
import type { Instance } from '../instance-store.js';
import type { Queries } from '../queries.js';
import { canAct, refuseRepeatPerformer, refuseSecondIteration, requireReason } from '../task-input.js';
import { refuseHeld } from './approval.js';
import { releaseHeld } from './signers.js';
import { stepChange } from './step-change.js';

/** What a change of holder decides, given the current holder: the new one, or null for nothing to do. */
type Decide = (holder: string | null) => { to: string | null; data?: Record<string, unknown> } | null;

export async function claimTask(ctx: RuntimeContext, queries: Queries, taskId: string, actor: Actor): Promise<TaskDoc> {
  const task = await queries.getTask(taskId);
  if (!canAct(task, actor) && task.assignee !== actor.id) throw new RuntimeError('forbidden', '您不在该任务的候选人或候选组中');
  const definition = await ctx.definitions.runnableById(`${task.processKey}:${task.version}`);
  await assign(ctx, task, actor, 'task.claimed', (holder) => {
    if (holder === actor.id) return null; // already mine
    if (holder) throw new RuntimeError('conflict', '该任务已被他人签收');
    return { to: actor.id };
  }, (instance) => {
    refuseRepeatPerformer(definition, instance, task, actor.id);
    refuseSecondIteration(definition, instance, task, actor.id);
  });
  return queries.getTask(taskId);
}

export async function unclaimTask(ctx: RuntimeContext, queries: Queries, taskId: string, actor: Actor): Promise<TaskDoc> {
  const task = await queries.getTask(taskId);
  const definition = await ctx.definitions.runnableById(`${task.processKey}:${task.version}`);
  if (definition.model.userTasks.get(task.elementId)?.assignee) throw new RuntimeError('conflict', '该任务由流程直接指派，不能退回任务池');
  refuseHeld(task);
  await assign(ctx, task, actor, 'task.unclaimed', (holder) => {
    if (holder !== actor.id) throw new RuntimeError('forbidden', '只能退回自己签收的任务');
    return { to: null };
  });
  return queries.getTask(taskId);
}

export async function reassignTask(ctx: RuntimeContext, queries: Queries, taskId: string, assignee: string | null, actor: Actor, reason: string): Promise<TaskDoc> {
  requireReason(reason);
  let task = await queries.getTask(taskId);
  // A submission waiting for its signers (后加签) goes back to its submitter first, as a draft.
  if (task.held) {
    await releaseHeld(ctx, task, actor, `管理员改派：${reason}`, `管理员改派了待加签的提交，已退回：${task.name}`);
    task = await queries.getTask(taskId);
  }
  await assign(ctx, task, actor, 'admin.reassign', (holder) => ({ to: assignee, data: { from: holder, to: assignee, reason } }));
  return queries.getTask(taskId);
}

/**
 * Changes who holds an open task. The holder lives in the instance (the source of truth), so a claim commits like
 * every step and cannot race a completion or another claim.
 */
async function assign(
  ctx: RuntimeContext,
  task: TaskDoc,
  actor: Actor,
  auditType: string,
  decide: Decide,
  check?: (instance: Instance) => void,
): Promise<void> {
  if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结');
  const definition = await ctx.definitions.runnableById(`${task.processKey}:${task.version}`);
  await ctx.work.run(task.instanceId, async (instance) => {
    const entry = (instance.openTasks ?? []).find((t) => t.taskId === task._id);
    if (!entry || instance.status === 'cancelled' || instance.status === 'completed') throw new RuntimeError('conflict', '该任务已办结或已被取消');
    check?.(instance);
    const decision = decide(entry.assignee ?? null);
    if (!decision) return null;
    const now = ctx.clock.now();
    return stepChange(definition, instance, unchangedResult(instance), {
      now,
      actor: actor.id,
      assign: { taskId: task._id, assignee: decision.to },
      audit: [{ type: auditType, elementId: task.elementId, taskId: task._id, data: decision.data ?? {} }],
    });
  });
}
