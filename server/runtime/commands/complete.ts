import type { FormSchema } from '../../forms/schema.js';
import type { OutboxOp, TaskDoc } from '../../db/types.js';
import { RuntimeError, type Actor, type InstanceView } from '../api.js';
import type { RuntimeContext } from '../context.js';
import { engineStep } from '../engine-step.js';
import type { Queries } from '../queries.js';
import { canAct, checkTaskInput, refuseRepeatPerformer, refuseUnknownFields, refuseUnstorableValues } from '../task-input.js';
import { stepChange } from './step-change.js';

/** Completes a user task with the submitted values: one engine step, committed. */
export async function completeTask(
  ctx: RuntimeContext,
  queries: Queries,
  taskId: string,
  input: unknown,
  actor: Actor,
  options: { rejectUnknownFields?: boolean } = {},
): Promise<{ task: TaskDoc; instance: InstanceView }> {
  refuseUnstorableValues(input);
  const task = await queries.getTask(taskId);
  if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结，不能重复提交');
  if (!canAct(task, actor)) throw new RuntimeError('forbidden', '这不是您的任务');
  if (options.rejectUnknownFields) refuseUnknownFields(task.formSchema as FormSchema | null, input);
  const definition = await ctx.definitions.runnableById(`${task.processKey}:${task.version}`);
  const committed = await ctx.work.run(task.instanceId, async (instance) => {
    if (instance.status === 'cancelled' || instance.status === 'completed') throw new RuntimeError('conflict', '流程已结束');
    // The instance is the source of truth for whether the task waits and who holds it.
    const entry = (instance.openTasks ?? []).find((t) => t.taskId === task._id);
    if (!entry) throw new RuntimeError('conflict', '该任务已办结或已被取消');
    if (entry.assignee && entry.assignee !== actor.id) throw new RuntimeError('forbidden', '该任务已由他人签收');
    const values = checkTaskInput(task, input, instance, ctx.clock.now());
    refuseRepeatPerformer(definition, instance, task, actor.id);
    const result = await engineStep(ctx, definition, instance, { type: 'complete', executionId: task.executionId, values, user: actor.id });
    const now = ctx.clock.now();
    return stepChange(definition, instance, result, { now, actor: actor.id, actorName: actor.displayName ?? null, actorGroups: actor.groups, completed: { task, values } });
  });
  const close = committed!.outbox.find((op): op is Extract<OutboxOp, { op: 'closeTasks' }> => op.op === 'closeTasks' && op.taskIds.includes(task._id));
  const done: TaskDoc = close ? { ...task, status: close.status, completedAt: close.at, completedBy: close.by } : await queries.getTask(taskId);
  return { task: done, instance: await queries.viewOf(committed!) };
}
