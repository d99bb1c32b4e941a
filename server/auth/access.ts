import type { AuditDoc, TaskDoc } from '../db/types.js';
import type { Actor, InstanceView, RuntimeApi } from '../runtime/api.js';
import { hasGroup, isAdmin } from './middleware.js';

/**
 * Who may see a task or an instance: one rule for the JSON API and the pages, so that neither shows what the other
 * refuses. Acting on a task is the runtime's rule (`RuntimeApi.canAct`); seeing is wider.
 */

/** May see a task: admin, whoever can act on it, its completer, or a member of its candidate groups/users. */
export function canViewTask(runtime: Pick<RuntimeApi, 'canAct'>, task: TaskDoc, actor: Actor): boolean {
  return (
    isAdmin(actor) ||
    runtime.canAct(task, actor) ||
    task.completedBy === actor.id ||
    task.assignee === actor.id ||
    task.candidateUsers.includes(actor.id) ||
    hasGroup(actor, ...task.candidateGroups)
  );
}

/**
 * May see an instance (its variables hold residents' data): admin, the user who started it, anyone who can see one
 * of its open tasks, or anyone who has taken part in it (named in its audit trail). `audit`: the history, when the
 * caller has read it already.
 */
export async function canViewInstance(
  runtime: Pick<RuntimeApi, 'canAct' | 'getAudit'>,
  view: InstanceView,
  actor: Actor,
  audit?: AuditDoc[],
): Promise<boolean> {
  if (isAdmin(actor) || view.instance.startedBy === actor.id) return true;
  if (view.openTasks.some((t) => canViewTask(runtime, t, actor))) return true;
  const entries = audit ?? (await runtime.getAudit(view.instance._id));
  return entries.some((e) => e.actor === actor.id);
}
