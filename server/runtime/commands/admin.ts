import type { StepResult } from '../../engine/run-step.js';
import { RuntimeError, type Actor } from '../api.js';
import type { RuntimeContext } from '../context.js';
import { engineStep } from '../engine-step.js';
import { requireReason } from '../task-input.js';
import { stepChange } from './step-change.js';

/** An administrator runs an instance in incident again (its failed service task is retried). */
export async function retryInstance(ctx: RuntimeContext, instanceId: string, actor: Actor, reason: string): Promise<void> {
  requireReason(reason);
  await ctx.work.run(instanceId, async (instance) => {
    if (instance.status !== 'incident') throw new RuntimeError('conflict', '该流程实例没有待处理的异常');
    const definition = await ctx.definitions.runnableById(instance.definitionId);
    const result = await engineStep(ctx, definition, instance, { type: 'retry' });
    return stepChange(definition, instance, result, { now: ctx.clock.now(), actor: actor.id, audit: [{ type: 'admin.retry', data: { reason } }], org: await ctx.org.snapshot() });
  });
}

/** An administrator cancels a running instance: its open tasks are cancelled and nothing of it waits any more. */
export async function cancelInstance(ctx: RuntimeContext, instanceId: string, actor: Actor, reason: string): Promise<void> {
  requireReason(reason);
  await ctx.work.run(instanceId, async (instance) => {
    if (instance.status === 'completed' || instance.status === 'cancelled') throw new RuntimeError('conflict', '流程已结束，不能取消');
    const definition = await ctx.definitions.runnableById(instance.definitionId);
    const result: StepResult = {
      state: {},
      stateText: instance.engineState ?? undefined,
      status: 'running',
      variables: instance.variables,
      scopes: instance.scopes ?? {},
      tasks: [],
      timers: [],
      incidents: [],
      events: [],
      notices: [],
    };
    return stepChange(definition, instance, result, { now: ctx.clock.now(), actor: actor.id, audit: [{ type: 'admin.cancel', data: { reason } }] }, 'cancelled');
  });
}
