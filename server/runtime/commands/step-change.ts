import type { StepResult } from '../../engine/run-step.js';
import type { RunnableDefinition } from '../definitions.js';
import { deriveStep, type StepContext } from '../derive.js';
import type { Instance, InstanceFields } from '../instance-store.js';
import type { StepChange } from '../unit-of-work.js';

/** What a step of `before` commits: the fields it sets and its derived writes (server/runtime/derive.ts). */
export function stepChange(definition: RunnableDefinition, before: Instance, result: StepResult, ctx: StepContext, status?: 'cancelled'): StepChange {
  const derived = deriveStep(before, result, definition, ctx);
  const fields = { ...derived.set } as InstanceFields;
  if (status === 'cancelled') Object.assign(fields, { status: 'cancelled', endedAt: ctx.now, nextTimerAt: null, timers: [], activeElements: [] });
  return { at: ctx.now, fields, outbox: derived.outbox };
}
