import type { RequestHandler, Router } from 'express';
import type { Db } from 'mongodb';
import { canViewInstance, canViewTask } from '../auth/access.js';
import { groupName } from '../auth/groups.js';
import { listUsers } from '../auth/users.js';
import type { RuntimeApi } from '../runtime/api.js';
import { forbidden } from './errors.js';
import { actorOf, jsonBody, param, queryText } from './request-params.js';

/** How many people the person picker answers at most. */
const PICKER_LIMIT = 20;

/**
 * The approval actions of the API (docs/API.md, "Approval actions"): each calls one runtime command, which checks who
 * may do it and audits it. Reminding needs to see the case; the rest are the task's holder's or the starter's.
 */
export function mountApprovalRoutes(router: Router, deps: { runtime: RuntimeApi; db: Db; auth: RequestHandler[] }): void {
  const { runtime, db, auth } = deps;

  router.put('/tasks/:id/draft', ...auth, async (req, res) => {
    const savedAt = await runtime.saveDraft(param(req, 'id'), jsonBody(req).values, actorOf(req));
    res.json({ savedAt });
  });

  router.post('/tasks/:id/transfer', ...auth, async (req, res) => {
    const body = jsonBody(req);
    res.json(await runtime.transfer(param(req, 'id'), body.to, body.reason, actorOf(req)).then(brief));
  });

  router.post('/tasks/:id/delegate', ...auth, async (req, res) => {
    const body = jsonBody(req);
    res.json(await runtime.delegate(param(req, 'id'), body.to, body.reason, actorOf(req)).then(brief));
  });

  router.post('/tasks/:id/return', ...auth, async (req, res) => {
    const body = jsonBody(req);
    const { target } = await runtime.returnTo(param(req, 'id'), body.targetElementId, body.reason, actorOf(req));
    res.json({ returnedTo: target.elementId, name: target.name });
  });

  router.post('/tasks/:id/recall', ...auth, async (req, res) => {
    res.json(brief(await runtime.recall(param(req, 'id'), jsonBody(req).reason, actorOf(req))));
  });

  router.post('/tasks/:id/add-signers', ...auth, async (req, res) => {
    const body = jsonBody(req);
    const { task, created } = await runtime.addSigners(param(req, 'id'), { users: body.users, reason: body.reason, position: body.position, values: body.values }, actorOf(req));
    res.json({ ...brief(task), cosigners: task.cosigners ?? [], held: !!task.held, created });
  });

  router.post('/tasks/:id/cosign', ...auth, async (req, res) => {
    const body = jsonBody(req);
    const signoff = await runtime.cosign(param(req, 'id'), { decision: body.decision, opinion: body.opinion }, actorOf(req));
    res.json({ decision: signoff.decision, opinion: signoff.opinion, at: signoff.at, valuesHash: signoff.valuesHash });
  });

  router.post('/tasks/:id/cc', ...auth, async (req, res) => {
    const body = jsonBody(req);
    res.json(await runtime.copy(param(req, 'id'), { users: body.users, groups: body.groups, note: body.note }, actorOf(req)));
  });

  router.post('/tasks/:id/remind', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const task = await runtime.getTask(param(req, 'id'));
    const view = await runtime.getInstance(task.instanceId);
    if (!canViewTask(runtime, task, actor) && !(await canViewInstance(runtime, view, actor))) throw forbidden('您无权催办该任务');
    res.json(await runtime.remind(task._id, actor));
  });

  router.post('/instances/:id/withdraw', ...auth, async (req, res) => {
    const view = await runtime.withdraw(param(req, 'id'), jsonBody(req).reason, actorOf(req));
    res.json({ id: view.instance._id, status: view.instance.status });
  });

  router.get('/messages', ...auth, async (req, res) => {
    const { items, unread } = await runtime.messages(actorOf(req));
    res.json({ unread, items });
  });

  router.post('/messages/read-all', ...auth, async (req, res) => {
    await runtime.markAllMessagesRead(actorOf(req));
    res.status(204).end();
  });

  router.post('/messages/:id/read', ...auth, async (req, res) => {
    await runtime.markMessageRead(actorOf(req), param(req, 'id'));
    res.status(204).end();
  });

  // The person picker: enabled users by name, role or unit (the unit's subtree), for 转办, 委派, 抄送 and 改派.
  router.get('/users', ...auth, async (req, res) => {
    const q = queryText(req, 'q').toLowerCase();
    const group = queryText(req, 'group');
    const unitId = queryText(req, 'unitId');
    const org = await runtime.org.snapshot();
    const users = (await listUsers(db))
      .filter((u) => !u.disabled)
      .filter((u) => !q || u._id.includes(q) || u.displayName.toLowerCase().includes(q))
      .filter((u) => !group || u.groups.includes(group))
      .filter((u) => !unitId || org.isWithin(u.unitId, unitId))
      .slice(0, PICKER_LIMIT);
    res.json(
      users.map((u) => ({
        id: u._id,
        displayName: u.displayName,
        unitId: u.unitId ?? null,
        unitName: u.unitId ? (org.unit(u.unitId)?.name ?? null) : null,
        roles: u.groups.map(groupName),
      })),
    );
  });
}

function brief(task: { _id: string; assignee: string | null; owner?: string | null; status: string }) {
  return { id: task._id, assignee: task.assignee, owner: task.owner ?? null, status: task.status };
}
