import { EngineFailure, IterationNotAdded, runStep, TaskNotWaiting, type StepAction, type StepResult } from '../engine/run-step.js';
import { RuntimeError } from './api.js';
import type { RuntimeContext } from './context.js';
import type { RunnableDefinition } from './definitions.js';
import type { Instance } from './instance-store.js';

/** What a new instance's first step starts from. */
export interface FreshInstance {
  id: string;
  variables: Record<string, unknown>;
  businessKey: string | null;
}

/** One engine step of an instance (server/engine/run-step.ts), its failures as the runtime reports them. */
export async function engineStep(
  ctx: Pick<RuntimeContext, 'clock' | 'services'>,
  definition: RunnableDefinition,
  from: Instance | FreshInstance,
  action: StepAction,
): Promise<StepResult> {
  const stored = 'rev' in from ? from : null;
  try {
    return await runStep({
      sourceContext: definition.sourceContext,
      model: definition.model,
      state: null,
      // The stored text: the step continues on the engine that produced it, if that is still live.
      stateText: stored?.engineState ?? undefined,
      variables: from.variables ?? {},
      scopes: stored?.scopes ?? {},
      incidents: (stored?.incidents ?? []).map((i) => ({ elementId: i.elementId, executionId: i.detail ?? '', message: i.message, at: new Date(i.at).toISOString() })),
      action,
      clock: ctx.clock,
      services: ctx.services,
      instance: {
        id: 'rev' in from ? from._id : from.id,
        processKey: definition.doc.key,
        processName: definition.doc.name ?? definition.doc.key,
        businessKey: from.businessKey ?? null,
      },
    });
  } catch (err) {
    if (err instanceof TaskNotWaiting) throw new RuntimeError('conflict', '该任务已办结或已被取消');
    if (err instanceof IterationNotAdded) throw new RuntimeError('conflict', err.message);
    if (err instanceof EngineFailure) throw new RuntimeError('incident', `流程无法继续：${err.message}`, {});
    throw err;
  }
}

/** A step that changes no engine state (claims, cancellation): everything waiting stays as it is. */
export function unchangedResult(instance: Instance): StepResult {
  return {
    state: {},
    stateText: instance.engineState ?? undefined,
    status: instance.status === 'incident' ? 'incident' : 'running',
    variables: instance.variables,
    scopes: instance.scopes ?? {},
    tasks: (instance.openTasks ?? []).map((t) => ({ executionId: t.executionId, elementId: t.elementId, loopIndex: null, elementValue: null })),
    timers: (instance.timers ?? []).map((t) => ({ executionId: t.executionId, elementId: t.elementId, dueAt: new Date(t.dueAt).toISOString() })),
    incidents: (instance.incidents ?? []).map((i) => ({ elementId: i.elementId, executionId: i.detail ?? '', message: i.message, at: new Date(i.at).toISOString() })),
    events: [],
    notices: [],
  };
}
