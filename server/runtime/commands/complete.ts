import type { FormSchema } from '../../forms/schema.js';
import type { OutboxOp, TaskDoc } from '../../db/types.js';
import { RuntimeError, type Actor, type InstanceView } from '../api.js';
import type { RuntimeContext } from '../context.js';
import { engineStep } from '../engine-step.js';
import type { Queries } from '../queries.js';
import { canAct, checkTaskInput, refuseRepeatPerformer, refuseUnknownFields, refuseUnstorableValues } from '../task-input.js';
import { actorGroupKeys } from '../../org/scoping.js';
import { pendingSigners, recordCopies, refuseHeld, resolveDelegation } from './approval.js';
import { stepChange } from './step-change.js';

/** Completes a user task with the submitted values: one engine step, committed. */
export async function completeTask(
  ctx: RuntimeContext,
  queries: Queries,
  taskId: string,
  input: unknown,
  actor: Actor,
  options: { rejectUnknownFields?: boolean; heldBy?: string } = {},
): Promise<{ task: TaskDoc; instance: InstanceView; delegationResolved?: boolean }> {
  refuseUnstorableValues(input);
  const task = await queries.getTask(taskId);
  if (task.status !== 'open') throw new RuntimeError('conflict', '该任务已办结，不能重复提交');
  if (!canAct(task, actor)) throw new RuntimeError('forbidden', '这不是您的任务');
  // Submitted for 后加签: completed by the last signature (server/runtime/commands/signers.ts), as submitted.
  if (task.held && options.heldBy !== task.held.by) refuseHeld(task);
  if (options.rejectUnknownFields) refuseUnknownFields(task.formSchema as FormSchema | null, input);
  const unsigned = await pendingSigners(ctx, task);
  if (unsigned.length) throw new RuntimeError('conflict', `加签人尚未全部签署（${unsigned.join('、')}），暂不能提交`);
  // A delegate's submission goes back to the delegator (委派), who completes the task.
  if (task.owner && task.assignee === actor.id && task.owner !== actor.id) {
    const view = await queries.getInstance(task.instanceId);
    const values = checkTaskInput(task, input, view.instance, ctx.clock.now());
    const back = await resolveDelegation(ctx, queries, task, values, actor);
    return { task: back, instance: await queries.getInstance(task.instanceId), delegationResolved: true };
  }
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
    return stepChange(definition, instance, result, { now, actor: actor.id, actorName: actor.displayName ?? null, actorGroups: actorGroupKeys(actor), completed: { task, values }, org: await ctx.org.snapshot() });
  });
  const close = committed!.outbox.find((op): op is Extract<OutboxOp, { op: 'closeTasks' }> => op.op === 'closeTasks' && op.taskIds.includes(task._id));
  const done: TaskDoc = close ? { ...task, status: close.status, completedAt: close.at, completedBy: close.by } : await queries.getTask(taskId);
  await ctx.taskDrafts.discard(task._id, actor.id);
  // 抄送 named by the diagram (`cc`): the roles' holders in the case's unit.
  const cc = definition.model.userTasks.get(task.elementId)?.cc ?? [];
  if (cc.length) {
    const org = await ctx.org.snapshot();
    const unit = committed!.after.unitId ?? null;
    const users = [...new Set(org.candidateGroups(cc, unit).flatMap((k) => org.membersOf(k)))].filter((u) => u !== actor.id);
    await recordCopies(ctx, done, users, actor, null);
  }
  return { task: done, instance: await queries.viewOf(committed!) };
}
