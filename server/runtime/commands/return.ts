import type { TaskDoc } from '../../db/types.js';
import { RuntimeError, type Actor } from '../api.js';
import type { RuntimeContext } from '../context.js';
import { engineStep } from '../engine-step.js';
import type { Queries } from '../queries.js';
import { canAct, requireReason } from '../task-input.js';
import { refuseHeld } from './approval.js';
import { stepChange } from './step-change.js';

/** The earlier user steps of a case a task may be returned to (退回), oldest first. */
export interface ReturnTarget {
  elementId: string;
  name: string;
  /** Who did it last. */
  by: string | null;
}

/**
 * Where a task may be sent back to: user steps of the process level completed earlier in this case, other than the
 * task's own. Only a task that is the case's one open step, outside any sub-process iteration or multi-instance, with
 * nothing else waiting, may go back: elsewhere a return would leave parallel work behind or duplicate it.
 */
export async function returnTargets(ctx: RuntimeContext, queries: Queries, task: TaskDoc): Promise<ReturnTarget[]> {
  if (task.status !== 'open' || task.scopeId || task.loopIndex !== null) return [];
  const view = await queries.getInstance(task.instanceId);
  if (view.openTasks.length !== 1 || (view.instance.timers ?? []).length) return [];
  const definition = await ctx.definitions.runnableById(`${task.processKey}:${task.version}`);
  if (!definition.model.userTasks.get(task.elementId)?.topLevel) return [];
  const history = await queries.getAudit(task.instanceId);
  const done = new Map<string, ReturnTarget>();
  for (const e of history) {
    if (e.type !== 'task.completed' || !e.elementId || e.elementId === task.elementId) continue;
    const spec = definition.model.userTasks.get(e.elementId);
    if (!spec || spec.multiInstance || !spec.topLevel) continue;
    done.delete(e.elementId);
    done.set(e.elementId, { elementId: e.elementId, name: spec.name ?? e.elementId, by: e.actor });
  }
  return [...done.values()];
}

/** 退回: the holder sends the task back to an earlier step of the case, with a reason; that step waits again. */
export async function returnTask(
  ctx: RuntimeContext,
  queries: Queries,
  taskId: string,
  targetElementId: unknown,
  reason: unknown,
  actor: Actor,
): Promise<{ target: ReturnTarget }> {
  const task = await queries.getTask(taskId);
  if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结');
  if (!(task.assignee === actor.id || (!task.assignee && canAct(task, actor)))) throw new RuntimeError('forbidden', '只有当前办理人可以退回');
  refuseHeld(task);
  const why = typeof reason === 'string' ? reason.trim() : '';
  requireReason(why);
  if (typeof targetElementId !== 'string' || !targetElementId) {
    throw new RuntimeError('validation_failed', '请选择退回到的环节', { fields: { targetElementId: '请选择退回到的环节' } });
  }
  const targets = await returnTargets(ctx, queries, task);
  const target = targets.find((t) => t.elementId === targetElementId);
  if (!target) {
    throw new RuntimeError('validation_failed', targets.length ? '只能退回到本案已办理过的环节' : '该待办不能退回：本案此时有并行或计时中的环节，或该环节在子流程中', {
      fields: { targetElementId: '不能退回到该环节' },
    });
  }
  const definition = await ctx.definitions.runnableById(`${task.processKey}:${task.version}`);
  await ctx.work.run(task.instanceId, async (instance) => {
    const entry = (instance.openTasks ?? []).find((t) => t.taskId === task._id);
    if (!entry || instance.status !== 'running') throw new RuntimeError('conflict', '该任务已办结或已被取消');
    if ((instance.openTasks ?? []).length !== 1 || (instance.timers ?? []).length) throw new RuntimeError('conflict', '本案刚刚发生了变化，请刷新后再试');
    if (entry.assignee && entry.assignee !== actor.id) throw new RuntimeError('forbidden', '该任务已由他人签收');
    const result = await engineStep(ctx, definition, instance, { type: 'return', executionId: task.executionId, targetElementId });
    return stepChange(definition, instance, result, {
      now: ctx.clock.now(),
      actor: actor.id,
      audit: [{ type: 'task.returned', elementId: task.elementId, taskId: task._id, data: { name: task.name, to: targetElementId, toName: target.name, reason: why } }],
      org: await ctx.org.snapshot(),
    });
  });
  if (target.by && target.by !== actor.id) {
    const at = ctx.clock.now();
    await ctx.mailbox.deliver(target.by, {
      id: `return:${task._id}:${at.getTime()}`,
      kind: 'return',
      title: `退回：${task.name}${task.businessKey ? `（${task.businessKey}）` : ''}，退回到 ${target.name}`,
      text: why,
      instanceId: task.instanceId,
      taskId: null,
      by: actor.id,
      at,
    });
  }
  return { target };
}

/**
 * 撤回 a completion: its completer takes the step back while the next one is untouched (nobody has claimed it or
 * done anything in the case since). The next step is closed, the step waits again and is theirs.
 */
export async function recallTask(ctx: RuntimeContext, queries: Queries, taskId: string, reason: unknown, actor: Actor): Promise<TaskDoc> {
  const done = await queries.getTask(taskId);
  if (done.status !== 'completed' || done.completedBy !== actor.id) throw new RuntimeError('forbidden', '只能撤回自己办理完成的任务');
  const why = typeof reason === 'string' ? reason.trim() : '';
  const view = await queries.getInstance(done.instanceId);
  const history = await queries.getAudit(done.instanceId);
  const completion = [...history].reverse().find((e) => e.type === 'task.completed' && e.taskId === done._id);
  const later = history.filter((e) => completion && e.rev > completion.rev && e.actor);
  if (!completion || later.length || view.instance.rev !== completion.rev) throw new RuntimeError('conflict', '下一步已有人处理，不能撤回');
  if (view.openTasks.length !== 1 || view.openTasks[0]!.assignee) throw new RuntimeError('conflict', '下一步已有人签收或有多个环节在办，不能撤回');
  const next = view.openTasks[0]!;
  const targets = await returnTargets(ctx, queries, next);
  if (!targets.some((t) => t.elementId === done.elementId)) throw new RuntimeError('conflict', '该环节不能撤回：本案此时有并行或计时中的环节，或该环节在子流程中');
  const definition = await ctx.definitions.runnableById(`${done.processKey}:${done.version}`);
  const committed = await ctx.work.run(done.instanceId, async (instance) => {
    if (instance.rev !== completion.rev || (instance.openTasks ?? []).length !== 1 || instance.openTasks[0]!.assignee) {
      throw new RuntimeError('conflict', '下一步已有人处理，不能撤回');
    }
    const result = await engineStep(ctx, definition, instance, { type: 'return', executionId: next.executionId, targetElementId: done.elementId });
    return stepChange(definition, instance, result, {
      now: ctx.clock.now(),
      actor: actor.id,
      audit: [{ type: 'task.recalled', elementId: done.elementId, taskId: done._id, data: { name: done.name, reason: why || null } }],
      org: await ctx.org.snapshot(),
    });
  });
  // The step waits again, held by whoever took it back.
  const again = committed?.after.openTasks?.find((t) => t.elementId === done.elementId);
  if (!again) throw new RuntimeError('conflict', '撤回未能完成，请刷新后再试');
  return queries.getTask(again.taskId);
}
