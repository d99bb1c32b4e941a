import { RuntimeError } from '../api.js';
import type { RuntimeContext } from '../context.js';
import { engineStep } from '../engine-step.js';
import { stepChange } from './step-change.js';

/** Instances stepped at once by one poller run; two servers share the work (and the commit log decides). */
const TIMER_CONCURRENCY = 8;
const TIMER_BATCH = 200;

/**
 * Fires every due timer: asks the read side which instances have one due and steps up to {@link TIMER_CONCURRENCY}
 * of them at once, in random order so that two servers polling one database mostly pick different instances.
 * Exactly once: each firing is a commit, and whoever loses it finds the timer no longer due.
 */
export async function fireDueTimers(ctx: RuntimeContext): Promise<number> {
  let advanced = 0;
  const seen = new Set<string>();
  for (let batch = 0; batch < 100; batch++) {
    const due = (await ctx.readModel.dueTimers(ctx.clock.now(), TIMER_BATCH)).filter((id) => !seen.has(id));
    if (!due.length) break;
    for (const id of due) seen.add(id);
    shuffle(due);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(TIMER_CONCURRENCY, due.length) }, async () => {
        while (next < due.length) {
          const instanceId = due[next++]!;
          try {
            if (await fireTimer(ctx, instanceId)) advanced++;
          } catch (err) {
            // One instance failing (its definition gone, say) must not stop the others.
            if (!(err instanceof RuntimeError && err.code === 'not_found')) {
              console.error(`[runtime] timer of ${instanceId} not fired:`, err instanceof Error ? err.message : err);
            }
          }
        }
      }),
    );
  }
  return advanced;
}

async function fireTimer(ctx: RuntimeContext, instanceId: string): Promise<boolean> {
  const fired = await ctx.work.run(instanceId, async (instance) => {
    // Another server may have fired it since the read side said so.
    if (!instance.nextTimerAt || new Date(instance.nextTimerAt) > ctx.clock.now()) return null;
    if (instance.status !== 'running' && instance.status !== 'incident') return null;
    const definition = await ctx.definitions.runnableById(instance.definitionId);
    const result = await engineStep(ctx, definition, instance, { type: 'resume' });
    return stepChange(definition, instance, result, { now: ctx.clock.now(), actor: null, org: await ctx.org.snapshot() });
  });
  return !!fired;
}

function shuffle<T>(items: T[]) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
