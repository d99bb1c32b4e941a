import type { AuditDoc, SignoffDoc, TaskDoc } from '../db/types.js';
import type { Actor, InstanceView, RuntimeApi } from '../runtime/api.js';
import { actorGroupKeys } from '../org/scoping.js';
import { isAdmin } from './middleware.js';

/**
 * Who may see a task or an instance: one rule for the JSON API and the pages, so that neither shows what the other
 * refuses. Acting on a task is the runtime's rule (`RuntimeApi.canAct`); seeing is wider.
 */

/**
 * May see a task: admin, whoever can act on it, its completer, a candidate user or member of its candidate groups
 * (in their unit), or a user of the unit it waits in or of a unit above it (a street office sees its communities').
 */
export function canViewTask(runtime: Pick<RuntimeApi, 'canAct'>, task: TaskDoc, actor: Actor): boolean {
  if (isAdmin(actor) || runtime.canAct(task, actor) || task.completedBy === actor.id || task.assignee === actor.id) return true;
  if (task.candidateUsers.includes(actor.id) || task.cosigners?.includes(actor.id)) return true;
  const keys = actorGroupKeys(actor);
  if (task.candidateGroups.some((g) => keys.includes(g))) return true;
  return withinActorsUnit(task.unitPath, actor);
}

/** Whether something filed under `unitPath` lies in the actor's unit or under it. */
export function withinActorsUnit(unitPath: readonly string[] | undefined, actor: Actor): boolean {
  return !!actor.unitId && !!unitPath?.includes(actor.unitId);
}

/**
 * May see an instance (its variables hold residents' data): admin, the user who started it, a user of its unit or a
 * unit above it, anyone who can see one of its open tasks, anyone who has taken part in it (named in its audit), or
 * anyone it was copied to (抄送). `audit`: the history, when the
 * caller has read it already.
 */
export async function canViewInstance(
  runtime: Pick<RuntimeApi, 'canAct' | 'getAudit' | 'isCopiedTo'>,
  view: InstanceView,
  actor: Actor,
  audit?: AuditDoc[],
): Promise<boolean> {
  if (isAdmin(actor) || view.instance.startedBy === actor.id) return true;
  if (withinActorsUnit(view.instance.unitPath, actor)) return true;
  if (view.openTasks.some((t) => canViewTask(runtime, t, actor))) return true;
  const entries = audit ?? (await runtime.getAudit(view.instance._id));
  if (entries.some((e) => e.actor === actor.id)) return true;
  return runtime.isCopiedTo(view.instance._id, actor.id);
}

/** What a viewer may see of an instance's history, sign-offs and variables (see {@link reviewRedaction}). */
export interface Redaction {
  /** Whether what `by` added at `elementId` (an attachment, say) is hidden from this viewer. */
  hides(elementId: string | null, by: string | null): boolean;
  audit(entries: AuditDoc[]): AuditDoc[];
  signoffs(list: SignoffDoc[]): SignoffDoc[];
  variables(values: Record<string, unknown>): Record<string, unknown>;
}

const NOTHING_HIDDEN: Redaction = { hides: () => false, audit: (e) => e, signoffs: (s) => s, variables: (v) => v };

/**
 * Independent review: while a multi-instance user task still has open iterations (P1's experts, a committee's
 * sign-off), what the other iterations submitted — values, decisions, opinions — stays hidden from everyone but
 * administrators and the instance's starter, so that each performer decides on their own. Each sees their own;
 * once the step closes everything shows.
 */
export function reviewRedaction(view: InstanceView, actor: Actor): Redaction {
  if (isAdmin(actor) || view.instance.startedBy === actor.id) return NOTHING_HIDDEN;
  const open = new Set(view.openTasks.filter((t) => t.isMultiInstance).map((t) => t.elementId));
  if (!open.size) return NOTHING_HIDDEN;
  const hidden = (elementId: string | null, by: string | null) => !!elementId && open.has(elementId) && by !== actor.id;
  return {
    hides: hidden,
    audit: (entries) =>
      entries.map((e) =>
        e.type === 'task.completed' && hidden(e.elementId, e.actor) ? { ...e, actor: null, data: { name: e.data?.name ?? null, hidden: true } } : e,
      ),
    signoffs: (list) => list.filter((s) => !hidden(s.elementId, s.by)),
    variables: (values) => {
      const out = { ...values };
      for (const elementId of open) {
        const results = out[`${elementId}Results`];
        if (Array.isArray(results)) out[`${elementId}Results`] = results.filter((r) => (r as { by?: unknown })?.by === actor.id);
      }
      return out;
    },
  };
}
