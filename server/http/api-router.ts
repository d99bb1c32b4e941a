import express, { type Request, type RequestHandler, type Router } from 'express';
import type { Db } from 'mongodb';
import type { AppDeps, HttpSettings } from './settings.js';
import { loginLimit } from './login-limit.js';
import { canViewInstance, canViewTask, reviewRedaction } from '../auth/access.js';
import { GROUPS } from '../auth/groups.js';
import { hasGroup, isAdmin, requireActor, requireGroup } from '../auth/middleware.js';
import { issueToken, revokeToken, revokeTokenDigest, tokenDigest } from '../auth/tokens.js';
import { authenticateUser, changeOwnPassword, findUserById, normalizeUsername, toPublicUser, UserInputError, USERNAME_PATTERN } from '../auth/users.js';
import { isError } from '../bpmn/problem.js';
import { validateDeployment } from '../bpmn/validate.js';
import type { AuditDoc, DefinitionDoc, IncidentInfo, InstanceDoc, NoticeDoc, TaskDoc } from '../db/types.js';
import { clockControlOf } from './clock-control.js';
import { DraftStore } from '../runtime/drafts.js';
import { parseDate, parseDuration } from '../engine/iso8601.js';
import { RuntimeError, type Actor, type InstanceListItem, type InstanceView } from '../runtime/api.js';
import { importedBody, invalidBpmn, MAX_XML_BYTES, XML_MEDIA_TYPES, xmlText } from './bpmn-upload.js';
import { csrfToken, rotateCsrfToken, verifyCsrf } from './csrf.js';
import { apiErrorHandler, apiNotFound, badRequest, forbidden, HttpError, notFound, sendError } from './errors.js';
import { buildOpenApiDocument } from './openapi.js';
import { mountOrgRoutes } from './org-routes.js';
import { mountApprovalRoutes } from './approval-routes.js';
import { mountRecordRoutes } from './record-routes.js';
import { OrgAdmin } from '../org/admin.js';
import { actorOf, isPlainObject, jsonBody, param, query, queryInt } from './request-params.js';
import { instanceListRequest } from './instance-query.js';
import { InstanceSearch } from '../records/instance-search.js';

/** Largest JSON body accepted by the API. */
export const MAX_JSON_BYTES = 1024 * 1024;
/** Largest XML body (a BPMN file or a draft) accepted by the API, and the media types read as one. */
export { MAX_XML_BYTES, XML_MEDIA_TYPES };

const PROCESS_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,199}$/;

// ── request helpers ───────────────────────────────────────────────────────────

/**
 * Query strings are parsed flat (`query parser: simple`), so `scope[$ne]=x` arrives as a parameter named
 * `scope[$ne]` that no route reads — it used to be ignored and the default applied. Names with brackets or a leading
 * `$` are operator or object syntax aimed at the database: refused with 400 before any route runs.
 */
const refuseStructuredQuery: RequestHandler = (req, _res, next) => {
  const names = Object.keys((req.query ?? {}) as Record<string, unknown>);
  const bad = names.filter((name) => /[[\]]/.test(name) || name.startsWith('$'));
  if (bad.length) {
    const shown = bad.slice(0, 5).map((name) => name.slice(0, 50));
    return next(badRequest(`不支持的查询参数：${shown.join('、')}`, Object.fromEntries(shown.map((name) => [name, '查询参数只能是简单的名称=值']))));
  }
  next();
};

function queryBool(req: Request, name: string): boolean | undefined {
  const text = query(req, name);
  if (text === undefined) return undefined;
  if (['1', 'true', 'yes'].includes(text)) return true;
  if (['0', 'false', 'no'].includes(text)) return false;
  throw badRequest(`查询参数 ${name} 应为 true 或 false`, { [name]: '应为 true 或 false' });
}

function requiredReason(req: Request): string {
  const reason = jsonBody(req).reason;
  if (typeof reason !== 'string' || !reason.trim()) throw badRequest('请填写操作原因', { reason: '请填写操作原因' });
  if (reason.length > 2000) throw badRequest('操作原因过长（最多 2000 个字符）', { reason: '最多 2000 个字符' });
  return reason.trim();
}

function processKeyParam(req: Request): string {
  const key = param(req, 'key');
  if (!PROCESS_KEY.test(key)) throw notFound(`流程不存在：${key.slice(0, 100)}`);
  return key;
}

// ── response shapes ───────────────────────────────────────────────────────────

type InstanceFields = Omit<InstanceDoc, 'engineState' | 'outbox'>;

function instanceJson(instance: InstanceListItem) {
  return {
    id: instance._id,
    processKey: instance.processKey,
    processName: instance.processName,
    version: instance.version,
    businessKey: instance.businessKey,
    status: instance.status,
    activeElements: instance.activeElements ?? [],
    nextTimerAt: instance.nextTimerAt ?? null,
    incident: instance.incident ? incidentJson(instance.incident, false) : null,
    startedBy: instance.startedBy,
    unitId: instance.unitId ?? null,
    startedAt: instance.startedAt,
    updatedAt: instance.updatedAt,
    endedAt: instance.endedAt,
  };
}

function incidentJson(incident: Partial<IncidentInfo>, withDetail: boolean) {
  return {
    elementId: incident.elementId ?? null,
    message: incident.message ?? '',
    at: incident.at ?? null,
    topic: incident.topic ?? null,
    ...(withDetail ? { detail: incident.detail ?? null } : {}),
  };
}

function instanceDetailJson(view: InstanceView, actor: Actor) {
  const redaction = reviewRedaction(view, actor);
  const instance = view.instance as InstanceFields & { incidents?: Partial<IncidentInfo>[] };
  const admin = isAdmin(actor);
  const incidents = Array.isArray(instance.incidents) && instance.incidents.length
    ? instance.incidents
    : instance.incident
      ? [instance.incident]
      : [];
  return {
    ...instanceJson(instance),
    incident: instance.incident ? incidentJson(instance.incident, admin) : null,
    variables: redaction.variables(instance.variables ?? {}),
    timers: (instance.timers ?? []).map((t) => ({ elementId: t.elementId, dueAt: t.dueAt, expression: t.expression })),
    incidents: incidents.map((i) => incidentJson(i, admin)),
    openTasks: view.openTasks.map(taskJson),
  };
}

function taskJson(task: TaskDoc) {
  return {
    id: task._id,
    instanceId: task.instanceId,
    processKey: task.processKey,
    processName: task.processName,
    version: task.version,
    elementId: task.elementId,
    name: task.name,
    businessKey: task.businessKey,
    candidateGroups: task.candidateGroups,
    candidateUsers: task.candidateUsers,
    assignee: task.assignee,
    dueAt: task.dueAt,
    priority: task.priority,
    documentation: task.documentation,
    status: task.status,
    createdAt: task.createdAt,
    completedAt: task.completedAt,
    completedBy: task.completedBy,
    isMultiInstance: task.isMultiInstance,
    loopIndex: task.loopIndex,
    subject: task.subject ?? null,
    owner: task.owner ?? null,
  };
}

function auditJson(entry: AuditDoc) {
  return {
    id: entry._id,
    at: entry.at,
    type: entry.type,
    elementId: entry.elementId,
    taskId: entry.taskId,
    actor: entry.actor,
    data: entry.data,
  };
}

function versionJson(def: DefinitionDoc) {
  return {
    version: def.version,
    name: def.name,
    hash: def.hash,
    deployedAt: def.deployedAt,
    deployedBy: def.deployedBy,
  };
}

function noticeJson(notice: NoticeDoc) {
  return {
    id: notice._id,
    title: notice.title,
    kind: notice.kind,
    processKey: notice.processKey,
    businessKey: notice.businessKey,
    html: notice.html,
    days: notice.days,
    workingDays: notice.workingDays,
    publishedAt: notice.publishedAt,
    endAt: notice.endAt,
  };
}

const NOT_YOUR_INSTANCE = '您无权查看该流程实例';

// ── the router ────────────────────────────────────────────────────────────────

/**
 * The JSON API mounted at `/api`. `authenticate` (server/auth/middleware.ts) and the session middleware run before
 * it; every route states who may call it: public, `auth` (any signed-in user) or `admin`.
 * Unsafe requests of cookie-authenticated users also pass `verifyCsrf`.
 */
export function createApiRouter(
  deps: AppDeps,
  settings: HttpSettings,
  /** Makes sure `req.session` exists: bearer requests skip the session middleware (server/app.ts). */
  withSession: RequestHandler = (_req, _res, next) => next(),
  /** The failed-login limit shared with the web form (server/http/login-limit.ts). */
  limitLogins: RequestHandler[] = loginLimit(settings),
): Router {
  const { runtime, db, clock } = deps;
  const router = express.Router();
  const knownGroups = () => new Set(GROUPS.map((g) => g.id));
  const clockControl = clockControlOf(clock, db, runtime);
  const manualClock = clockControl?.clock ?? null;

  router.use(refuseStructuredQuery);
  router.use(express.json({ limit: MAX_JSON_BYTES }));
  // Bytes, not text: a BPMN file is read in the encoding its XML declaration names (server/http/bpmn-upload.ts).
  router.use(express.raw({ type: XML_MEDIA_TYPES, limit: MAX_XML_BYTES }));

  const auth: RequestHandler[] = [requireActor, verifyCsrf];
  const admin: RequestHandler[] = [requireGroup('admin'), verifyCsrf];
  mountOrgRoutes(router, { orgAdmin: new OrgAdmin(db, runtime, clock), runtime, admin });
  mountApprovalRoutes(router, { runtime, db, auth });
  mountRecordRoutes(router, { runtime, db, clock, auth });

  // ── public ──────────────────────────────────────────────────────────────────

  router.get('/health', async (_req, res) => {
    try {
      await db.command({ ping: 1 });
    } catch {
      return sendError(res, 503, 'unavailable', '数据库暂时不可用');
    }
    res.json({ status: 'ok', now: clock.now(), manualClock: clock.manual });
  });

  const openapi = buildOpenApiDocument({ manualClock: !!manualClock });
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  router.get('/notices', async (req, res) => {
    const unitId = query(req, 'unitId');
    const notices = await runtime.listNotices({ current: queryBool(req, 'current'), limit: queryInt(req, 'limit', 1, 200), ...(unitId ? { unitWithin: unitId } : {}) });
    res.json(notices.map(noticeJson));
  });

  router.get('/notices/:id', async (req, res) => {
    res.json(noticeJson(await runtime.getNotice(param(req, 'id'))));
  });

  // ── authentication ──────────────────────────────────────────────────────────

  router.post('/auth/login', withSession, ...limitLogins, async (req, res) => {
    const body = jsonBody(req);
    const fields: Record<string, string> = {};
    if (typeof body.username !== 'string' || !body.username.trim()) fields.username = '请输入用户名';
    if (typeof body.password !== 'string' || !body.password) fields.password = '请输入密码';
    if (Object.keys(fields).length) throw badRequest('请输入用户名和密码', fields);
    const user = await authenticateUser(db, body.username, body.password);
    if (!user) return sendError(res, 401, 'invalid_credentials', '用户名或密码错误');

    // A fresh session id at login (no session fixation), holding the user and a fresh CSRF token.
    await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    req.session.userId = user._id;
    const csrf = rotateCsrfToken(req);
    const { token, expiresAt } = await issueToken(db, user._id, settings.tokenTtlMs);
    // Logging out of this session revokes the token issued with it too.
    req.session.tokenDigest = tokenDigest(token);
    await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));

    res.json({
      token,
      tokenType: 'Bearer',
      expiresAt,
      csrfToken: csrf,
      user: toPublicUser(user),
      ...(user.mustChangePassword ? { mustChangePassword: true } : {}),
    });
  });

  router.post('/auth/logout', ...auth, async (req, res) => {
    if (req.authMethod === 'bearer') {
      const token = /^Bearer[ \t]+(\S+)/i.exec(req.get('authorization') ?? '')?.[1];
      if (token) await revokeToken(db, token);
    } else {
      await revokeTokenDigest(db, req.session.tokenDigest);
      await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
      res.clearCookie(settings.cookieName, { path: '/' });
    }
    res.status(204).end();
  });

  // A user changes their own password; every bearer token of theirs is revoked (this session stays signed in).
  router.post('/auth/password', ...auth, async (req, res) => {
    const body = jsonBody(req);
    try {
      await changeOwnPassword(db, actorOf(req).id, body.currentPassword, body.newPassword);
    } catch (err) {
      if (err instanceof UserInputError) throw badRequest(err.message, { [err.field]: err.message });
      throw err;
    }
    res.status(204).end();
  });

  router.get('/auth/me', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const user = await findUserById(db, actor.id);
    if (!user) throw new HttpError(401, 'unauthorized', '请先登录');
    res.json({
      user: toPublicUser(user),
      authMethod: req.authMethod,
      ...(req.authMethod === 'session' ? { csrfToken: csrfToken(req) } : {}),
    });
  });

  router.get('/groups', ...auth, (_req, res) => {
    res.json(GROUPS.map((g) => ({ id: g.id, name: g.name })));
  });

  // ── processes ───────────────────────────────────────────────────────────────

  router.get('/processes', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const processes = await runtime.listProcesses();
    res.json(
      processes.map((p) => ({
        key: p.key,
        name: p.name,
        latestVersion: p.latestVersion,
        deployedAt: p.deployedAt,
        starterGroups: p.starterGroups,
        canStart: canStart(p.starterGroups, actor),
        startForm: p.startForm ?? null,
      })),
    );
  });

  // Diagrams from other tools are converted on the way in (server/bpmn/import.ts); the answer says what was converted
  // and dropped, and lists the warnings (style) apart from the errors (what blocks execution).
  router.post('/processes', ...admin, async (req, res) => {
    const imported = importedBody(req, knownGroups());
    const check = await validateDeployment(imported.xml, deps.knownTopics ? new Set(deps.knownTopics) : undefined);
    if (!check.ok) throw invalidBpmn([...imported.problems, ...check.problems], imported.conversion);
    let result;
    try {
      result = await runtime.deploy(imported.xml, actorOf(req));
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'invalid_bpmn') {
        throw invalidBpmn([...imported.problems, ...(err.details.problems ?? [])], imported.conversion);
      }
      throw err;
    }
    const def = result.definition;
    res
      .status(result.created ? 201 : 200)
      .location(`/api/processes/${encodeURIComponent(result.key)}`)
      .json({
        key: result.key,
        created: result.created,
        ...versionJson(def),
        warnings: [...imported.problems, ...check.warnings],
        encoding: imported.encoding,
        conversion: imported.conversion,
      });
  });

  // The modeler's 导入: a diagram from another tool, converted and checked as a deployment would be, not deployed.
  router.post('/bpmn/import', ...admin, async (req, res) => {
    const imported = importedBody(req, knownGroups());
    const check = await validateDeployment(imported.xml, deps.knownTopics ? new Set(deps.knownTopics) : undefined);
    const problems = [...imported.problems, ...(check.ok ? check.warnings : check.problems)];
    res.json({
      xml: imported.xml,
      encoding: imported.encoding,
      conversion: imported.conversion,
      errors: problems.filter(isError),
      warnings: problems.filter((p) => !isError(p)),
    });
  });

  router.get('/processes/:key', ...auth, async (req, res) => {
    const key = processKeyParam(req);
    const versions = await runtime.getProcessVersions(key);
    if (!versions.length) throw notFound(`流程不存在：${key}`);
    const latest = versions.reduce((a, b) => (b.version > a.version ? b : a));
    res.json({ key, name: latest.name, latestVersion: latest.version, versions: versions.map(versionJson) });
  });

  router.get('/processes/:key/versions/:version/xml', ...auth, async (req, res) => {
    const key = processKeyParam(req);
    const versionText = param(req, 'version');
    let version: number | undefined;
    if (versionText !== 'latest') {
      version = Number(versionText);
      if (!/^\d{1,9}$/.test(versionText) || version < 1) throw badRequest('版本号应为正整数或 latest', { version: '应为正整数或 latest' });
    }
    const def = await runtime.getDefinition(key, version);
    // Never let a browser run anything an uploaded document might contain.
    res.set('Content-Security-Policy', "default-src 'none'; sandbox");
    res.set('Content-Disposition', `inline; filename="${def.key}-v${def.version}.bpmn"`);
    res.type('application/xml').send(def.xml);
  });

  router.post('/processes/:key/instances', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const key = processKeyParam(req);
    const body = jsonBody(req);
    const fields: Record<string, string> = {};
    if (body.businessKey !== undefined && body.businessKey !== null && typeof body.businessKey !== 'string') {
      fields.businessKey = '业务编号必须是文本';
    }
    if (body.variables !== undefined && !isPlainObject(body.variables)) fields.variables = 'variables 必须是对象';
    if (body.unitId !== undefined && body.unitId !== null && typeof body.unitId !== 'string') fields.unitId = '所属单位应为单位标识';
    if (Object.keys(fields).length) throw badRequest('请求参数有误', fields);

    // The runtime answers an unknown process (404) and a user outside camunda:candidateStarterGroups (403) itself,
    // from the latest version it loads anyway; listing every process here first cost a scan of `definitions`.
    const view = await runtime.startInstance(
      key,
      {
        businessKey: body.businessKey as string | null | undefined,
        variables: body.variables as Record<string, unknown> | undefined,
        unitId: body.unitId as string | null | undefined,
      },
      actor,
      { rejectUnknownFields: true },
    );
    res
      .status(201)
      .location(`/api/instances/${encodeURIComponent(view.instance._id)}`)
      .json(instanceDetailJson(view, actor));
  });

  // ── instances ───────────────────────────────────────────────────────────────

  const instanceSearch = new InstanceSearch(runtime);
  router.get('/instances', ...auth, async (req, res) => {
    const { query: filters, text } = instanceListRequest(req, actorOf(req));
    const result = await instanceSearch.page(filters, text, queryInt(req, 'skip', 0, 1_000_000) ?? 0, queryInt(req, 'limit', 1, 200) ?? 50);
    res.json({ items: result.items.map(instanceJson), total: result.total });
  });

  router.get('/instances/:id', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const view = await runtime.getInstance(param(req, 'id'));
    if (!(await canViewInstance(runtime, view, actor))) throw forbidden(NOT_YOUR_INSTANCE);
    res.json(instanceDetailJson(view, actor));
  });

  router.get('/instances/:id/audit', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const view = await runtime.getInstance(param(req, 'id'));
    const audit = await runtime.getAudit(view.instance._id);
    if (!(await canViewInstance(runtime, view, actor, audit))) throw forbidden(NOT_YOUR_INSTANCE);
    res.json(reviewRedaction(view, actor).audit(audit).map(auditJson));
  });

  router.get('/instances/:id/signoffs', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const view = await runtime.getInstance(param(req, 'id'));
    if (!(await canViewInstance(runtime, view, actor))) throw forbidden(NOT_YOUR_INSTANCE);
    const signoffs = reviewRedaction(view, actor).signoffs(await runtime.getSignoffs(view.instance._id));
    res.json(
      signoffs.map((s) => ({
        id: s._id,
        taskId: s.taskId,
        elementId: s.elementId,
        stepName: s.stepName,
        decision: s.decision,
        opinion: s.opinion,
        by: s.by,
        byName: s.byName,
        at: s.at,
        source: s.source,
        loopIndex: s.loopIndex,
      })),
    );
  });

  router.post('/instances/:id/retry', ...admin, async (req, res) => {
    const actor = actorOf(req);
    const view = await runtime.retry(param(req, 'id'), actor, requiredReason(req));
    res.json(instanceDetailJson(view, actor));
  });

  router.post('/instances/:id/cancel', ...admin, async (req, res) => {
    const actor = actorOf(req);
    const view = await runtime.cancel(param(req, 'id'), actor, requiredReason(req));
    res.json(instanceDetailJson(view, actor));
  });

  // ── tasks ───────────────────────────────────────────────────────────────────

  router.get('/tasks', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const scope = query(req, 'scope') ?? 'mine';
    if (scope !== 'mine' && scope !== 'candidate' && scope !== 'signer' && scope !== 'all' && scope !== 'cc') {
      throw badRequest('scope 应为 mine、candidate、signer、all 或 cc', { scope: '取值无效' });
    }
    // 抄送我的: the cases copied to me, newest first.
    if (scope === 'cc') {
      const copies = await runtime.copiesFor(actor.id, queryInt(req, 'limit', 1, 200) ?? 50);
      return res.json(copies.map((c) => ({ instanceId: c.instanceId, taskId: c.taskId, processName: c.processName, businessKey: c.businessKey, step: c.step, by: c.by, at: c.at, note: c.note })));
    }
    if (scope === 'all' && !isAdmin(actor)) throw forbidden('只有管理员可以查看全部任务');
    const status = query(req, 'status');
    if (status !== undefined && status !== 'open' && status !== 'completed') {
      throw badRequest('status 应为 open 或 completed', { status: '取值无效' });
    }
    // The runtime reads completed tasks as mine or as everyone's: a "candidate" list of them would be every unit's.
    if (status === 'completed' && (scope === 'candidate' || scope === 'signer')) {
      throw badRequest('已办结的任务只能按 mine（我办理的）或 all 查看', { scope: '已办结的任务只能按 mine（我办理的）或 all 查看' });
    }
    const tasks = await runtime.listTasks(actor, {
      scope,
      status,
      processKey: query(req, 'process'),
      businessKey: query(req, 'businessKey'),
      limit: queryInt(req, 'limit', 1, 200),
    });
    res.json(tasks.map(taskJson));
  });

  // The inbox badge's numbers: tasks I hold, unclaimed tasks of my roles in my unit, and tasks awaiting my signature.
  router.get('/tasks/count', ...auth, async (req, res) => {
    res.json(await runtime.countTasks(actorOf(req)));
  });

  router.get('/tasks/:id', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const task = await runtime.getTask(param(req, 'id'));
    if (!canViewTask(runtime, task, actor)) throw forbidden('您无权查看该任务');
    const open = task.status === 'open';
    const can = runtime.canAct(task, actor);
    const held = !!task.held;
    const pending = open ? await runtime.pendingSigners(task) : [];
    // The case: what was submitted before, as the people deciding now must see it (an open review hides others').
    const view = await runtime.getInstance(task.instanceId);
    const history = reviewRedaction(view, actor).audit(await runtime.getAudit(task.instanceId));
    res.json({
      ...taskJson(task),
      form: task.formSchema ?? null,
      case: await runtime.caseOf(view.instance, history),
      draft: open ? await runtime.getDraft(task._id, actor.id) : null,
      returnTargets: open && can ? (await runtime.returnTargets(task)).map((t) => ({ elementId: t.elementId, name: t.name })) : [],
      cosigners: (task.cosigners ?? []).map((user) => ({ user, signed: !pending.includes(user) })),
      // 后加签: what the holder submitted, waiting for the signers.
      held: open && task.held ? task.held : null,
      actions: {
        claim: open && !task.assignee && can,
        unclaim: open && task.assignee === actor.id && !task.owner && !held,
        complete: open && can && !held,
        transfer: open && can && !task.owner && !held,
        delegate: open && can && !task.owner && !held,
        addSigners: open && can && !task.owner && !held,
        cosign: pending.includes(actor.id),
        cc: (open && can) || task.completedBy === actor.id,
        remind: open && (!can || pending.some((u) => u !== actor.id)),
        draft: open && can && !held,
      },
    });
  });

  router.post('/tasks/:id/claim', ...auth, async (req, res) => {
    res.json(taskJson(await runtime.claim(param(req, 'id'), actorOf(req))));
  });

  router.post('/tasks/:id/unclaim', ...auth, async (req, res) => {
    res.json(taskJson(await runtime.unclaim(param(req, 'id'), actorOf(req))));
  });

  router.post('/tasks/:id/complete', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const body = jsonBody(req);
    if (body.variables !== undefined && body.variables !== null && !isPlainObject(body.variables)) {
      throw badRequest('variables 必须是对象', { variables: 'variables 必须是对象' });
    }
    const result = await runtime.complete(param(req, 'id'), body.variables ?? {}, actor, { rejectUnknownFields: true });
    res.json({
      task: taskJson(result.task),
      instance: instanceDetailJson(result.instance, actor),
      ...(result.delegationResolved ? { delegationResolved: true } : {}),
    });
  });

  router.post('/tasks/:id/reassign', ...admin, async (req, res) => {
    const actor = actorOf(req);
    const body = jsonBody(req);
    const reason = requiredReason(req);
    const assignee = body.assignee;
    if (assignee !== null && typeof assignee !== 'string') {
      throw badRequest('请指定新的办理人（用户名），或用 null 退回任务池', { assignee: '请指定办理人' });
    }
    let assigneeId: string | null = null;
    if (typeof assignee === 'string') {
      assigneeId = normalizeUsername(assignee);
      const user = USERNAME_PATTERN.test(assigneeId) ? await findUserById(db, assigneeId) : null;
      if (!user || user.disabled) throw badRequest(`用户不存在或已停用：${assignee.slice(0, 64)}`, { assignee: '用户不存在或已停用' });
    }
    res.json(taskJson(await runtime.reassign(param(req, 'id'), assigneeId, actor, reason)));
  });

  // ── modeler drafts ──────────────────────────────────────────────────────────

  const drafts = new DraftStore(db);

  router.get('/drafts/:key', ...admin, async (req, res) => {
    const key = processKeyParam(req);
    const actor = actorOf(req);
    const draft = await drafts.get(key, actor.id);
    if (!draft) throw notFound(`没有流程 ${key} 的草稿`);
    res.json({ key: draft.key, xml: draft.xml, updatedAt: draft.updatedAt });
  });

  router.put('/drafts/:key', ...admin, async (req, res) => {
    const key = processKeyParam(req);
    const actor = actorOf(req);
    const xml = xmlText(req);
    const updatedAt = await drafts.save(key, actor.id, xml);
    res.json({ key, updatedAt, bytes: Buffer.byteLength(xml, 'utf8') });
  });

  // ── manual clock (CLOCK=manual only) ────────────────────────────────────────

  if (manualClock && clockControl) {
    router.get('/admin/clock', ...admin, (_req, res) => {
      res.json({ now: manualClock.now(), manual: true });
    });

    router.post('/admin/clock', ...admin, async (req, res) => {
      const body = jsonBody(req);
      const hasAdvance = body.advance !== undefined;
      const hasSet = body.set !== undefined;
      if (hasAdvance === hasSet) {
        throw badRequest('请给出 advance（ISO 8601 时长，如 "P1Y"）或 set（ISO 日期）之一');
      }
      let target: Date | null = null;
      if (hasAdvance) {
        if (typeof body.advance !== 'string') throw badRequest('advance 应为 ISO 8601 时长，如 "P1Y"、"PT2H"', { advance: '格式无效' });
        try {
          parseDuration(body.advance);
        } catch {
          throw badRequest(`不是有效的 ISO 8601 时长：${body.advance.slice(0, 50)}`, { advance: '格式无效' });
        }
      } else {
        target = typeof body.set === 'string' ? parseDate(body.set) : null;
        if (!target) throw badRequest('set 应为 ISO 日期或日期时间，如 "2026-01-01" 或 "2026-01-01T09:00:00+08:00"', { set: '格式无效' });
      }
      res.json(await clockControl.move(target ? { set: target } : { advance: body.advance as string }));
    });
  }

  router.use(apiNotFound);
  router.use(apiErrorHandler);
  return router;
}

function canStart(starterGroups: string[], actor: Actor): boolean {
  return starterGroups.length === 0 || isAdmin(actor) || hasGroup(actor, ...starterGroups);
}
