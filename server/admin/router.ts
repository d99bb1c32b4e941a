import { describePageError, PageError } from '../web/page-errors.js';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { AppDeps } from '../http/settings.js';
import { groupName } from '../auth/groups.js';
import { isAdmin } from '../auth/middleware.js';
import { findUserByUsername, listUsers } from '../auth/users.js';
import type { AuditDoc, InstanceDoc, InstanceStatus, TaskDoc } from '../db/types.js';
import { scopeLabel, type Scopes } from '../engine/scopes.js';
import { csrfToken, verifyCsrf } from '../http/csrf.js';
import { param, queryText } from '../http/request-params.js';
import { RuntimeError, statusOf, type Actor, type InstanceListItem, type InstanceQuery } from '../runtime/api.js';
import { pageBase } from '../web/page-base.js';
import { formatDateTime, formatDay, isDateTimeText, type PageData } from '../web/views.js';
import { AdminViews } from './views.js';
import { mountImportPage, mountOrgPages } from './org-pages.js';
import { OrgAdmin } from '../org/admin.js';
import { registerClockPage } from './clock-page.js';
import { AUDIT_NAMES, STATUS_NAMES } from '../web/labels.js';
import { InstanceSearch } from '../records/instance-search.js';
import { exportUrl } from '../web/list-search.js';

/**
 * The admin console (group `admin` only): processes with their versions and instance counts, the BPMN modeler,
 * the instance list with filters, and an instance's diagram, variables, tasks and audit trail with the admin
 * actions cancel / retry / reassign (each with a required reason, CSRF-protected, audited by the runtime).
 */

const PAGE_SIZE = 50;
/** The longest reason an administrator may give for cancelling, retrying or reassigning (characters). */
const MAX_REASON = 500;
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

const STATUSES: InstanceStatus[] = ['running', 'incident', 'completed', 'cancelled'];

function bodyText(req: Request, name: string): string {
  const b: unknown = req.body;
  const value = b && typeof b === 'object' ? (b as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : '';
}

/** `YYYY-MM-DD` as the start (or end) of that day in Asia/Shanghai; null when empty; 'invalid' otherwise. */
function parseDay(value: string, endOfDay: boolean): Date | null | 'invalid' {
  if (!value) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'invalid';
  const date = new Date(`${value}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}+08:00`);
  return Number.isNaN(date.getTime()) || formatDay(date) !== value ? 'invalid' : date;
}

/** Names of a definition's elements (`id` → `name`), read from its XML. */
function elementNames(xml: string): Map<string, string> {
  const names = new Map<string, string>();
  const decode = (t: string) =>
    t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#10;/g, ' ').replace(/&amp;/g, '&');
  for (const m of xml.matchAll(/<[\w:]+\s[^>]*?>/g)) {
    const id = /\sid="([^"]+)"/.exec(m[0]);
    const name = /\sname="([^"]*)"/.exec(m[0]);
    if (id && name && !names.has(id[1]!)) names.set(id[1]!, decode(name[1]!));
  }
  return names;
}

/**
 * Who may start a process: the summary's list, else `camunda:candidateStarterGroups` of the latest version's
 * process element (the runtime's summary leaves the list empty today).
 */
function starterGroupsOf(fromSummary: string[], xml: string): string[] {
  if (fromSummary.length) return fromSummary;
  const m = /<(?:bpmn:)?process\s[^>]*?camunda:candidateStarterGroups="([^"]*)"/.exec(xml);
  return m ? m[1]!.split(',').map((g) => g.trim()).filter(Boolean) : [];
}

function session(req: Request, op: 'save'): Promise<void> {
  return new Promise((resolve, reject) => req.session[op]((err: unknown) => (err ? reject(err) : resolve())));
}

function staticDir(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'server', 'admin', 'public');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function variableRows(variables: Record<string, unknown>) {
  return Object.keys(variables)
    .sort()
    .map((name) => {
      const value = variables[name];
      // An instant is stored in UTC; the administrator reads it in Beijing time beside it.
      const text = isDateTimeText(value)
        ? `${value}（北京时间 ${formatDateTime(value)}）`
        : value instanceof Date
          ? `${value.toISOString()}（北京时间 ${formatDateTime(value)}）`
          : typeof value === 'string'
            ? value
            : JSON.stringify(value, null, 2) ?? 'null';
      return { name, value: text.length > 4000 ? `${text.slice(0, 4000)}…（已截断）` : text, long: text.includes('\n') };
    });
}

/** The running iterations of multi-instance sub-processes (a P1 campaign's tracks), each with its own values. */
function scopeSections(scopes: Scopes, label: (elementId: string) => string) {
  return Object.entries(scopes)
    .sort(([, a], [, b]) => a.elementId.localeCompare(b.elementId) || a.index - b.index)
    .map(([id, scope]) => ({
      title: `${label(scope.elementId)} · 第 ${scope.index + 1} 条${scopeLabel(scopes, id) ? `（${scopeLabel(scopes, id)}）` : ''}`,
      variables: variableRows({ ...(scope.elementVariable ? { [scope.elementVariable]: scope.elementValue } : {}), ...scope.locals }),
    }));
}

function auditDetail(entry: AuditDoc): string {
  const data = entry.data ?? {};
  const parts: string[] = [];
  if (typeof data.reason === 'string') parts.push(`原因：${data.reason}`);
  if ('from' in data || 'to' in data) parts.push(`由 ${data.from ?? '候选组'} 改派给 ${data.to ?? '候选组'}`);
  if (typeof data.message === 'string') parts.push(data.message);
  if (typeof data.decision === 'string') parts.push(`结论：${data.decision}`);
  return parts.join('；');
}

export function createAdminRouter(deps: AppDeps): express.Router {
  const { runtime } = deps;
  const views = new AdminViews();
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: 64 * 1024, parameterLimit: 50 });

  const assets = staticDir();
  if (assets) router.use('/assets/admin', express.static(assets, { index: false, fallthrough: true }));

  async function page(req: Request, res: Response, name: string, title: string, data: PageData, status = 200) {
    const base = await pageBase(runtime, req, title, 'admin');
    res.status(status).type('html').set('Cache-Control', 'no-store').send(views.render(name, { ...base, ...data }));
  }

  /** Not signed in: to the login form (GET) or 401; signed in without the admin group: 403. */
  const adminOnly: RequestHandler = (req, res, next) => {
    if (!req.actor) {
      if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      return next(new PageError(401, '请先登录', '登录已失效，请重新登录后再操作。'));
    }
    if (!isAdmin(req.actor)) return next(new PageError(403, '无权访问', '管理后台仅限系统管理员使用。'));
    next();
  };
  function actorOf(req: Request): Actor {
    if (!req.actor) throw new PageError(401, '请先登录', '请先登录。');
    return req.actor;
  }

  const orgPages = { orgAdmin: new OrgAdmin(deps.db, runtime, deps.clock), runtime, page, actorOf, adminOnly };
  mountImportPage(router, orgPages);
  router.use('/admin', adminOnly, form, verifyCsrf);
  mountOrgPages(router, orgPages);

  router.get('/admin', (_req, res) => res.redirect(303, '/admin/processes'));

  // ── processes ───────────────────────────────────────────────────────────────

  router.get('/admin/processes', async (req, res) => {
    const [processes, counted] = await Promise.all([runtime.listProcesses(), runtime.countInstances()]);
    const zero = (): Record<InstanceStatus, number> => ({ running: 0, incident: 0, completed: 0, cancelled: 0 });
    // per process: per version, per status
    const counts = new Map<string, Map<number, Record<InstanceStatus, number>>>();
    for (const { processKey, version, status, count } of counted) {
      const byVersion = counts.get(processKey) ?? new Map<number, Record<InstanceStatus, number>>();
      const row = byVersion.get(version) ?? zero();
      row[status] += count;
      byVersion.set(version, row);
      counts.set(processKey, byVersion);
    }
    const rows = await Promise.all(
      processes.map(async (p) => {
        const versions = await runtime.getProcessVersions(p.key);
        const perVersion = counts.get(p.key) ?? new Map<number, Record<InstanceStatus, number>>();
        const byStatus = zero();
        for (const row of perVersion.values()) for (const s of STATUSES) byStatus[s] += row[s];
        const total = STATUSES.reduce((a, s) => a + byStatus[s], 0);
        return {
          key: p.key,
          name: p.name || p.key,
          latestVersion: p.latestVersion,
          deployedAt: p.deployedAt,
          starterGroups: starterGroupsOf(p.starterGroups, versions.find((v) => v.version === p.latestVersion)?.xml ?? '')
            .map(groupName)
            .join('、'),
          total,
          counts: STATUSES.map((s) => ({ status: s, name: STATUS_NAMES[s], count: byStatus[s] })),
          versions: versions
            .slice()
            .sort((a, b) => b.version - a.version)
            .map((v) => {
              const c = perVersion.get(v.version) ?? zero();
              return {
                version: v.version,
                deployedAt: v.deployedAt,
                deployedBy: v.deployedBy,
                hash: v.hash.slice(0, 12),
                xmlUrl: `/api/processes/${encodeURIComponent(p.key)}/versions/${v.version}/xml`,
                counts: STATUSES.map((s) => c[s]),
                total: STATUSES.reduce((a, s) => a + c[s], 0),
              };
            }),
        };
      }),
    );
    await page(req, res, 'processes', '流程管理', {
      processes: rows,
      statusNames: STATUSES.map((s) => STATUS_NAMES[s]),
      section: { processes: true },
    });
  });

  // ── modeler ─────────────────────────────────────────────────────────────────

  async function modeler(req: Request, res: Response, key: string) {
    await page(req, res, 'modeler-page', key ? `流程建模 · ${key}` : '流程建模', {
      processKey: key,
      csrfToken: csrfToken(req),
      section: { modeler: !key, processes: !!key },
    });
  }
  router.get('/admin/modeler', (req, res) => modeler(req, res, ''));
  router.get('/admin/modeler/:key', async (req, res) => {
    const key = param(req, 'key');
    if (!KEY_PATTERN.test(key)) throw new PageError(404, '流程不存在', '流程标识无效。');
    await modeler(req, res, key);
  });

  // ── instances ───────────────────────────────────────────────────────────────

  const instanceSearch = new InstanceSearch(runtime);
  router.get('/admin/instances', async (req, res) => {
    const filter = {
      process: queryText(req, 'process'),
      status: queryText(req, 'status'),
      businessKey: queryText(req, 'businessKey'),
      q: queryText(req, 'q'),
      from: queryText(req, 'from'),
      to: queryText(req, 'to'),
    };
    const pageNo = Math.max(1, Math.min(100_000, Number.parseInt(queryText(req, 'page') || '1', 10) || 1));
    const errors: string[] = [];
    const query: InstanceQuery = {};
    if (filter.process) query.processKey = filter.process;
    if (filter.status) {
      if ((STATUSES as string[]).includes(filter.status)) query.status = filter.status as InstanceStatus;
      else errors.push('状态无效。');
    }
    // Part of a 业务编号 is enough to find it.
    if (filter.businessKey) query.businessKeyContains = filter.businessKey;
    const from = parseDay(filter.from, false);
    const to = parseDay(filter.to, true);
    if (from === 'invalid') errors.push('开始日期格式应为 年-月-日，例如 2026-03-01。');
    else if (from) query.startedFrom = from;
    if (to === 'invalid') errors.push('结束日期格式应为 年-月-日，例如 2026-03-31。');
    else if (to) query.startedTo = to;
    if (from instanceof Date && to instanceof Date && from > to) errors.push('开始日期不能晚于结束日期。');

    const processes = await runtime.listProcesses();
    // 事项名称/业务编号: part of the process name or of the business key.
    const result = errors.length ? { items: [] as InstanceListItem[], total: 0 } : await instanceSearch.page(query, filter.q, (pageNo - 1) * PAGE_SIZE, PAGE_SIZE);
    const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
    const link = (n: number) => {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(filter)) if (v) qs.set(k, v);
      if (n > 1) qs.set('page', String(n));
      const s = qs.toString();
      return `/admin/instances${s ? `?${s}` : ''}`;
    };
    await page(
      req,
      res,
      'instances',
      '流程实例',
      {
        section: { instances: true },
        filter,
        errors,
        exportUrl: exportUrl('instances', { scope: 'all', process: filter.process, status: filter.status, q: filter.q || filter.businessKey, from: filter.from, to: filter.to }),
        processes: processes.map((p) => ({ key: p.key, name: p.name || p.key, selected: p.key === filter.process })),
        statuses: STATUSES.map((s) => ({ id: s, name: STATUS_NAMES[s], selected: s === filter.status })),
        rows: result.items.map((i) => ({
          id: i._id,
          processName: i.processName || i.processKey,
          processKey: i.processKey,
          version: i.version,
          businessKey: i.businessKey,
          status: STATUS_NAMES[i.status],
          statusClass: i.status,
          incident: i.status === 'incident',
          startedBy: i.startedBy,
          startedAt: i.startedAt,
          endedAt: i.endedAt,
        })),
        total: result.total,
        paging: {
          page: pageNo,
          pages,
          prev: pageNo > 1 ? link(pageNo - 1) : null,
          next: pageNo < pages ? link(pageNo + 1) : null,
        },
      },
      errors.length ? 400 : 200,
    );
  });

  interface ActionState {
    error?: string;
    /** Which form the error belongs to: 'cancel', 'retry' or a task id. */
    form?: string;
    reason?: string;
    assignee?: string;
  }

  async function renderInstance(req: Request, res: Response, id: string, state: ActionState = {}, status = 200) {
    const org = await runtime.org.snapshot();
    const view = await runtime.getInstance(id);
    const inst = view.instance;
    const [[audit, signoffs], definition] = await Promise.all([
      runtime.getAudit(id).then(async (history) => [history, await runtime.getSignoffs(id, history)] as const),
      runtime.getDefinition(inst.processKey, inst.version).catch(() => null),
    ]);
    const names = definition ? elementNames(definition.xml) : new Map<string, string>();
    const active = inst.activeElements ?? [];
    const incidents = inst.incidents ?? (inst.incident ? [inst.incident] : []);
    const incidentIds = [...new Set(incidents.map((i) => i.elementId))];
    const completed = [
      ...new Set(audit.map((e) => e.elementId).filter((e): e is string => !!e && !active.includes(e) && !incidentIds.includes(e))),
    ];
    const label = (elementId: string | null) => (elementId ? names.get(elementId) || elementId : '');
    const taskRow = (t: TaskDoc) => ({
      id: t._id,
      name: t.name,
      elementId: t.elementId,
      assignee: t.assignee,
      groups: t.candidateGroups.map((g) => org.groupLabel(g, groupName)).join('、'),
      users: t.candidateUsers.join('、'),
      createdAt: t.createdAt,
      dueAt: t.dueAt,
      error: state.form === t._id ? state.error : undefined,
      reason: state.form === t._id ? state.reason : '',
      assigneeValue: state.form === t._id ? state.assignee : t.assignee ?? '',
    });
    const open = inst.status === 'running' || inst.status === 'incident';
    // An error for a form the page no longer shows (e.g. retry after the incident was resolved) goes on top.
    const formShown =
      state.form === 'cancel' ? open : state.form === 'retry' ? inst.status === 'incident' : view.openTasks.some((t) => t._id === state.form);
    await page(
      req,
      res,
      'instance',
      `流程实例 · ${inst.processName || inst.processKey}`,
      {
        section: { instances: true },
        // The person picker of 改派: every enabled user with their unit.
        people: (await listUsers(deps.db))
          .filter((u) => !u.disabled)
          .map((u) => ({ id: u._id, label: `${u.displayName}（${u.unitId ? (org.unit(u.unitId)?.name ?? '') : '全系统'}）` })),
        instance: {
          id: inst._id,
          processKey: inst.processKey,
          processName: inst.processName || inst.processKey,
          version: inst.version,
          businessKey: inst.businessKey,
          status: STATUS_NAMES[inst.status],
          statusClass: inst.status,
          startedBy: inst.startedBy,
          startedAt: inst.startedAt,
          endedAt: inst.endedAt,
          updatedAt: inst.updatedAt,
          rev: inst.rev,
        },
        diagram: {
          xmlUrl: `/api/processes/${encodeURIComponent(inst.processKey)}/versions/${inst.version}/xml`,
          markers: JSON.stringify({ completed, active, incident: incidentIds }),
          // Where a diagram too wide to read whole opens: the current step, else a failed one, else the last one done.
          focus: active[0] ?? incidentIds.find(Boolean) ?? [...audit].reverse().find((e) => e.elementId)?.elementId ?? '',
        },
        incidents: incidents.map((i) => ({ elementId: i.elementId, element: label(i.elementId), message: i.message, at: i.at, topic: i.topic })),
        variables: variableRows(inst.variables ?? {}),
        scopes: scopeSections(inst.scopes ?? {}, label),
        openTasks: view.openTasks.map(taskRow),
        signoffs: signoffs.map((s) => ({
          stepName: s.stepName,
          decision: s.decision === 'approve' ? '通过' : s.decision === 'reject' ? '不通过' : '退回修改',
          decisionClass: `d-${s.decision}`,
          opinion: s.opinion,
          by: s.byName || s.by,
          at: s.at,
        })),
        audit: audit.map((e) => ({
          at: e.at,
          type: AUDIT_NAMES[e.type] ?? e.type,
          admin: e.type.startsWith('admin.'),
          element: label(e.elementId),
          actor: e.actor ?? '系统',
          detail: auditDetail(e),
        })),
        actionError: state.error && !formShown ? state.error : undefined,
        mayCancel: open,
        mayRetry: inst.status === 'incident',
        cancel: { error: state.form === 'cancel' ? state.error : undefined, reason: state.form === 'cancel' ? state.reason : '' },
        retry: { error: state.form === 'retry' ? state.error : undefined, reason: state.form === 'retry' ? state.reason : '' },
      },
      status,
    );
  }

  router.get('/admin/instances/:id', async (req, res) => {
    await renderInstance(req, res, param(req, 'id'));
  });

  /** Runs an admin action; a refusal (no reason, conflict…) re-renders the instance page with the message. */
  async function action(
    req: Request,
    res: Response,
    instanceId: string,
    formId: string,
    run: (actor: Actor, reason: string) => Promise<string>,
  ) {
    const actor = actorOf(req);
    const reason = bodyText(req, 'reason').trim();
    const assignee = bodyText(req, 'assignee').trim();
    try {
      if (!reason) throw new RuntimeError('bad_request', '请填写操作原因');
      if (reason.length > MAX_REASON) throw new RuntimeError('bad_request', `操作原因不能超过 ${MAX_REASON} 个字`);
      const done = await run(actor, reason);
      req.session.flash = done;
      await session(req, 'save');
      res.redirect(303, `/admin/instances/${encodeURIComponent(instanceId)}`);
    } catch (err) {
      if (err instanceof RuntimeError && err.code !== 'not_found') {
        return renderInstance(req, res, instanceId, { error: err.message, form: formId, reason, assignee }, statusOf(err.code));
      }
      throw err;
    }
  }

  router.post('/admin/instances/:id/cancel', async (req, res) => {
    const id = param(req, 'id');
    await action(req, res, id, 'cancel', async (actor, reason) => {
      await runtime.cancel(id, actor, reason);
      return '流程已取消。';
    });
  });

  router.post('/admin/instances/:id/retry', async (req, res) => {
    const id = param(req, 'id');
    await action(req, res, id, 'retry', async (actor, reason) => {
      const view = await runtime.retry(id, actor, reason);
      return view.instance.status === 'incident' ? '已重试，但仍然出现异常，请查看异常信息。' : '已重试，流程继续运行。';
    });
  });

  router.post('/admin/tasks/:taskId/reassign', async (req, res) => {
    const task = await runtime.getTask(param(req, 'taskId'));
    await action(req, res, task.instanceId, task._id, async (actor, reason) => {
      const assignee = bodyText(req, 'assignee').trim();
      if (assignee && !(await findUserByUsername(deps.db, assignee))) throw new RuntimeError('bad_request', `用户“${assignee.slice(0, 64)}”不存在`);
      await runtime.reassign(task._id, assignee || null, actor, reason);
      return assignee ? `任务“${task.name}”已改派给 ${assignee}。` : `任务“${task.name}”已退回候选组，等待签收。`;
    });
  });

  // ── the platform clock ──────────────────────────────────────────────────────

  registerClockPage(router, deps, page, async (req, flash) => {
    req.session.flash = flash;
    await session(req, 'save');
  });

  // ── errors as Chinese pages ────────────────────────────────────────────────

  const adminErrors: ErrorRequestHandler = (err, req, res, next) => {
    if (res.headersSent || !req.originalUrl.startsWith('/admin')) return next(err);
    const { status, title, message } = describePageError(err);
    if (status >= 500) console.error(`[admin] ${req.method} ${req.originalUrl}:`, err);
    page(req, res, 'error', title, { status, heading: title, message, at: formatDateTime(deps.clock.now()) }, status).catch(next);
  };
  router.use('/admin', (_req, _res, next) => next(new PageError(404, '页面不存在', '管理后台没有这个页面。')));
  router.use(adminErrors);

  return router;
}
