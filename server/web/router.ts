import { describePageError, PageError } from './page-errors.js';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { AppDeps, HttpSettings } from '../http/settings.js';
import { GROUPS, groupName } from '../auth/groups.js';
import { canViewInstance, canViewTask, reviewRedaction } from '../auth/access.js';
import { hasGroup, isAdmin } from '../auth/middleware.js';
import { authenticateUser, changeOwnPassword, findUserById, listUsers, MIN_PASSWORD_LENGTH, UserInputError } from '../auth/users.js';
import type { AuditDoc, SignoffDoc, TaskDoc } from '../db/types.js';
import type { OrgSnapshot } from '../org/scoping.js';
import { unitKindName } from '../org/units.js';
import { APPROVAL_DECISIONS, type FormSchema } from '../forms/schema.js';
import { CSRF_FIELD, rotateCsrfToken, verifyCsrf } from '../http/csrf.js';
import { param, queryText } from '../http/request-params.js';
import { RuntimeError, statusOf, type Actor, type InstanceView } from '../runtime/api.js';
import { asSchema, fieldViews, orphanErrors, submittedValues } from './form-view.js';
import { pageBase } from './page-base.js';
import { revokeTokenDigest } from '../auth/tokens.js';
import { issueLoginToken, loginTokenMatches } from './login-token.js';
import { formatDateTime, isDateTimeText, Views, type PageData } from './views.js';
import { AUDIT_NAMES, STATUS_NAMES } from './labels.js';
import { mountCasePages } from './case-pages.js';
import { receiveStartForm, startFiles, startUploadView } from './start-upload.js';
import { exportUrl, listSwitch } from './list-search.js';
import { InstanceSearch } from '../records/instance-search.js';
import { taskMatcher } from '../records/task-search.js';

declare module 'express-session' {
  interface SessionData {
    /** One-time message shown on the next page (e.g. 「已提交」). */
    flash?: string;
  }
}

/** Largest urlencoded form accepted by the pages. */
const MAX_FORM_BYTES = 256 * 1024;
/** Most fields a page's form may post (a start form with a table is a few dozen). */
const MAX_FORM_FIELDS = 500;

/** Rows per page of the staff lists, and rows read per runtime query (the runtime serves at most 200). */
const DEFAULT_PAGING = { pageSize: 50, batchSize: 200 };
/** Runtime queries one list page may make while filtering (a business-key search); the next page goes on from there. */
const MAX_BATCHES_PER_PAGE = 10;

/** Chinese names of the notice kinds the shipped processes publish (a kind not listed is shown as written). */
const NOTICE_KINDS: Record<string, string> = {
  'voter-list': '选民名单',
  'election-result': '选举结果',
  resolution: '决议公开',
  'implementation-result': '实施结果公开',
  'named-pilots': '试点命名',
  renewal: '年度评估与续签',
  'secondee-appraisal-result': '下沉人员考核结果',
  'micro-project-result': '民生微实事结果公开',
};

function kindName(kind: string | null | undefined): string {
  return kind ? NOTICE_KINDS[kind] ?? kind : '';
}

/** Names of a definition's elements (`id` → `name`), read from its XML for the timeline. */
function elementNames(xml: string): Map<string, string> {
  const names = new Map<string, string>();
  const decode = (t: string) =>
    t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#10;/g, ' ').replace(/&amp;/g, '&');
  for (const m of xml.matchAll(/<(?:bpmn:)?\w+\s[^>]*?\bid="([^"]+)"[^>]*?\bname="([^"]*)"/g)) names.set(m[1]!, decode(m[2]!));
  for (const m of xml.matchAll(/<(?:bpmn:)?\w+\s[^>]*?\bname="([^"]*)"[^>]*?\bid="([^"]+)"/g)) {
    if (!names.has(m[2]!)) names.set(m[2]!, decode(m[1]!));
  }
  return names;
}

function body(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

function bodyText(req: Request, name: string): string {
  const value = body(req)[name];
  return typeof value === 'string' ? value : '';
}

/** A local path to return to after login (never another site). */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) && !value.startsWith('/login') ? value : '/tasks';
}

function canStart(starterGroups: string[], actor: Actor): boolean {
  return starterGroups.length === 0 || isAdmin(actor) || hasGroup(actor, ...starterGroups);
}

function session<T>(req: Request, op: 'regenerate' | 'save' | 'destroy'): Promise<T | void> {
  return new Promise((resolve, reject) => req.session[op]((err: unknown) => (err ? reject(err) : resolve())));
}

/**
 * Sets a one-time message and redirects. The session is saved before the redirect is sent: express-session
 * otherwise starts the response before its own save, and a browser following the 303 at once reads the old session.
 */
async function redirectWithFlash(req: Request, res: Response, flash: string, location: string): Promise<void> {
  req.session.flash = flash;
  await session(req, 'save');
  res.redirect(303, location);
}

/** Citation (first line) and sentence (the rest) of a step's documentation. */
function policyOf(documentation: string | null | undefined): { citation: string; sentence: string } | null {
  const text = documentation?.trim();
  if (!text) return null;
  const [first, ...rest] = text.split(/\r?\n/);
  return { citation: first!.trim(), sentence: rest.join('\n').trim() };
}

/** Position in a list ordered newest first by `createdAt`, then `_id` (the runtime's task order). */
interface Cursor {
  createdAt: Date;
  id: string;
}

/** `?before=` of the next page: the last shown row's creation time (ms) and id. */
function cursorOf(task: Pick<TaskDoc, 'createdAt' | '_id'>): string {
  return `${new Date(task.createdAt).getTime()}.${task._id}`;
}

function parseCursor(text: unknown): Cursor | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d{1,15})\.([\s\S]{1,1000})$/.exec(text);
  if (!m) return null;
  const createdAt = new Date(Number(m[1]));
  return Number.isNaN(createdAt.getTime()) ? null : { createdAt, id: m[2]! };
}

/** Newest first, ties by `_id` descending: the order of the runtime's task queries and of their `before` cursor. */
function newestFirst(a: Pick<TaskDoc, 'createdAt' | '_id'>, b: Pick<TaskDoc, 'createdAt' | '_id'>): number {
  const d = new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime();
  return d || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0);
}

function isBefore(task: Pick<TaskDoc, 'createdAt' | '_id'>, cursor: Cursor): boolean {
  const t = new Date(task.createdAt).getTime();
  const c = cursor.createdAt.getTime();
  return t < c || (t === c && task._id < cursor.id);
}

/**
 * One page of a task list read in batches from a source ordered by {@link newestFirst} (`fetch(before, limit)`
 * returns the next `limit` rows after the cursor). Rows failing `keep` are skipped. `next` is the cursor of the last
 * shown row when more rows follow, or of the last row read when the batch budget ran out first (the next page goes
 * on from there), or null at the end.
 */
async function taskPage(
  fetch: (before: Cursor | null, limit: number) => Promise<TaskDoc[]>,
  keep: (task: TaskDoc) => boolean,
  start: Cursor | null,
  paging: { pageSize: number; batchSize: number },
): Promise<{ rows: TaskDoc[]; next: string | null }> {
  const rows: TaskDoc[] = [];
  let before = start;
  for (let i = 0; i < MAX_BATCHES_PER_PAGE; i++) {
    const batch = await fetch(before, paging.batchSize);
    for (const task of batch) {
      if (!keep(task)) continue;
      if (rows.length === paging.pageSize) return { rows, next: cursorOf(rows[rows.length - 1]!) };
      rows.push(task);
    }
    if (batch.length < paging.batchSize) return { rows, next: null };
    const last = batch[batch.length - 1]!;
    before = { createdAt: new Date(last.createdAt), id: last._id };
  }
  return { rows, next: before ? `${before.createdAt.getTime()}.${before.id}` : null };
}

/** A list URL with its query string (empty values left out). */
function listUrl(path: string, query: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== null && value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The 1-based page number shown with a list (`?page=`); anything else is page 1. */
function pageNumber(req: Request): number {
  const value = (req.query as Record<string, unknown>).page;
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : 1;
  return n >= 1 ? n : 1;
}

const MESSAGE_KINDS: Record<string, string> = {
  task: '新待办',
  'due-soon': '即将到期',
  overdue: '已逾期',
  remind: '催办',
  cc: '抄送',
  transfer: '转办',
  delegate: '委派',
  resolved: '委派交回',
  cosign: '加签',
  cosigned: '加签签署',
  released: '后加签退回',
  return: '退回',
};

/** The people typed into a person field: user names separated by commas, 、 or spaces. */
function names(text: string): string[] {
  return text.split(/[,，、\s]+/).filter(Boolean);
}

export function createWebRouter(
  deps: AppDeps,
  settings: Pick<HttpSettings, 'cookieName' | 'webPaging' | 'cookieSecure'>,
  limitLogins: RequestHandler[],
): express.Router {
  const { runtime, clock } = deps;
  const paging = {
    pageSize: Math.max(1, settings.webPaging?.pageSize ?? DEFAULT_PAGING.pageSize),
    batchSize: Math.min(200, Math.max(1, settings.webPaging?.batchSize ?? DEFAULT_PAGING.batchSize)),
  };
  const views = new Views();
  const router = express.Router();
  // Form bodies are parsed only on the pages' own routes (not for routers mounted after this one).
  const form = express.urlencoded({ extended: false, limit: MAX_FORM_BYTES, parameterLimit: MAX_FORM_FIELDS });

  async function page(req: Request, res: Response, name: string, title: string, active: string, data: PageData, status = 200) {
    const base = await pageBase(runtime, req, title, active);
    res.status(status).type('html').set('Cache-Control', 'no-store').send(views.render(name, { ...base, ...data }));
  }

  const signedIn: RequestHandler = (req, res, next) => {
    if (req.actor) return next();
    if (req.method === 'GET') return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    next(new PageError(401, '请先登录', '登录已失效，请重新登录后再操作。'));
  };
  const auth: RequestHandler[] = [signedIn, form, verifyCsrf];

  function actorOf(req: Request): Actor {
    if (!req.actor) throw new PageError(401, '请先登录', '请先登录。');
    return req.actor;
  }

  // Attachments (added before the CSRF check reads the multipart body) and the printable 审批单.
  const records = mountCasePages(router, { runtime, db: deps.db, clock, signedIn, page, actorOf });
  const instanceSearch = new InstanceSearch(runtime);

  // ── login / logout ──────────────────────────────────────────────────────────

  router.get('/', (req, res) => res.redirect(303, req.actor ? '/tasks' : '/notices'));

  // The login form needs no session: its CSRF token is a cookie the form echoes (login-token.ts).
  router.get('/login', async (req, res) => {
    if (req.actor) return res.redirect(303, safeNext(req.query.next));
    await page(req, res, 'login', '登录', 'login', { next: safeNext(req.query.next), username: '', csrf: issueLoginToken(res, settings.cookieSecure) });
  });

  router.post('/login', form, ...limitLogins, async (req, res) => {
    if (!loginTokenMatches(req, bodyText(req, CSRF_FIELD))) throw new PageError(403, '页面已过期', '登录页面已过期，请刷新页面后重新登录。');
    const username = bodyText(req, 'username').trim();
    const password = bodyText(req, 'password');
    const next = safeNext(body(req).next);
    const user = username && password ? await authenticateUser(deps.db, username, password) : null;
    if (!user) {
      const error = !username || !password ? '请输入用户名和密码' : '用户名或密码错误';
      return page(req, res, 'login', '登录', 'login', { next, username, error, csrf: issueLoginToken(res, settings.cookieSecure) }, 401);
    }
    // A fresh session id at login (no session fixation), as POST /api/auth/login does.
    await session(req, 'regenerate');
    req.session.userId = user._id;
    rotateCsrfToken(req);
    await session(req, 'save');
    res.redirect(303, next);
  });

  router.post('/logout', ...auth, async (req, res) => {
    await revokeTokenDigest(deps.db, req.session.tokenDigest);
    await session(req, 'destroy');
    // The name the session middleware was configured with (server/app.ts), so renaming the cookie keeps logout working.
    res.clearCookie(settings.cookieName, { path: '/' });
    res.redirect(303, '/login');
  });

  router.get('/account/password', signedIn, async (req, res) => {
    await page(req, res, 'password', '修改密码', 'password', { minLength: MIN_PASSWORD_LENGTH, required: !!req.actor?.mustChangePassword });
  });

  router.post('/account/password', ...auth, async (req, res) => {
    try {
      await changeOwnPassword(deps.db, actorOf(req).id, bodyText(req, 'currentPassword'), bodyText(req, 'newPassword'));
    } catch (err) {
      if (!(err instanceof UserInputError)) throw err;
      return page(
        req,
        res,
        'password',
        '修改密码',
        'password',
        { minLength: MIN_PASSWORD_LENGTH, required: !!req.actor?.mustChangePassword, error: err.message, fields: { [err.field]: err.message } },
        400,
      );
    }
    req.session.flash = '密码已修改';
    res.redirect(303, '/tasks');
  });

  // ── inbox ───────────────────────────────────────────────────────────────────

  /**
   * Whose each parallel task is, so that five iterations of one step are not five identical rows: the iteration's
   * subject (a P1 community), else its element variable — a user's name, or an object's `name` — else its number.
   */
  async function subjectsOf(tasks: TaskDoc[]): Promise<Map<string, string>> {
    const parallel = tasks.filter((t) => !t.subject && t.isMultiInstance);
    const userIds = parallel.map((t) => t.elementVariable?.value).filter((v): v is string => typeof v === 'string');
    const people = userIds.length ? await peopleOf(userIds) : new Map<string, string>();
    return new Map(
      parallel.map((t) => {
        const value = t.elementVariable?.value;
        const named = typeof value === 'string' ? people.get(value) : value && typeof value === 'object' ? (value as { name?: unknown }).name : null;
        return [t._id, typeof named === 'string' && named ? named : `第 ${(t.loopIndex ?? 0) + 1} 份`];
      }),
    );
  }

  function taskRow(org: OrgSnapshot, task: TaskDoc, claimable: boolean, subjects?: Map<string, string>) {
    const now = clock.now();
    return {
      id: task._id,
      name: task.name,
      subject: task.subject ?? subjects?.get(task._id) ?? null,
      processName: task.processName || task.processKey,
      businessKey: task.businessKey,
      createdAt: task.createdAt,
      dueAt: task.dueAt,
      completedAt: task.completedAt,
      overdue: task.status === 'open' && !!task.dueAt && new Date(task.dueAt).getTime() < now.getTime(),
      claimable,
      groups: task.candidateGroups.map((g) => org.groupLabel(g, groupName)).join('、'),
      instanceId: task.instanceId,
    };
  }

  /** Previous/next links of a list: `?page=` is the shown page number, `?before=` (task lists) where the page starts. */
  function pager(pageNo: number, urls: { first?: string | null; prev?: string | null; next?: string | null }, pages?: number) {
    if (pageNo === 1 && !urls.next) return null;
    return {
      label: pages ? `第 ${pageNo} / ${pages} 页` : `第 ${pageNo} 页`,
      firstUrl: pageNo > 2 || (pageNo === 2 && !urls.prev) ? urls.first ?? null : null,
      prevUrl: urls.prev ?? null,
      nextUrl: urls.next ?? null,
    };
  }

  router.get('/tasks', ...auth, async (req, res) => {
    const org = await runtime.org.snapshot();
    const actor = actorOf(req);
    const processKey = queryText(req, 'process');
    const search = queryText(req, 'q');
    const start = parseCursor((req.query as Record<string, unknown>).before);
    const pageNo = start ? Math.max(2, pageNumber(req)) : 1;
    const claimable = new Set<string>();
    // My own open tasks and my groups' unclaimed ones are two disjoint runtime queries in the same order; the first
    // `limit` rows of their union are exact, so they are merged batch by batch.
    const fetch = async (before: Cursor | null, limit: number) => {
      const query = { status: 'open' as const, processKey: processKey || undefined, limit, before: before ?? undefined };
      const [mine, candidate] = await Promise.all([
        runtime.listTasks(actor, { ...query, scope: 'mine' }),
        runtime.listTasks(actor, { ...query, scope: 'candidate' }),
      ]);
      for (const t of candidate) claimable.add(t._id);
      return [...mine, ...candidate].sort(newestFirst).slice(0, limit);
    };
    const [{ rows, next }, processes] = await Promise.all([
      taskPage(fetch, taskMatcher(search), start, paging),
      runtime.listProcesses(),
    ]);
    const filters = { process: processKey, q: queryText(req, 'q') };
    // 待我签署: on the first page, the tasks whose holders wait for my signature (加签), filtered like the rest.
    const matches = taskMatcher(search);
    const toSign = start ? [] : (await runtime.listTasks(actor, { scope: 'signer', processKey: processKey || undefined, limit: 200 })).filter(matches);
    const subjects = await subjectsOf([...rows, ...toSign]);
    await page(req, res, 'tasks', '我的待办', 'tasks', {
      toSign: await Promise.all(toSign.map(async (t) => ({ ...taskRow(org, t, false, subjects), assigneeName: await displayName(t.assignee) }))),
      rows: rows.map((t) => taskRow(org, t, claimable.has(t._id), subjects)),
      search: queryText(req, 'q'),
      processes: processes.map((p) => ({ key: p.key, name: p.name || p.key, selected: p.key === processKey })),
      filtered: !!(search || processKey),
      listSwitch: listSwitch('tasks', search),
      exportUrl: exportUrl('tasks', { scope: 'inbox', process: processKey, q: search }),
      pager: pager(pageNo, { first: listUrl('/tasks', filters), next: next && listUrl('/tasks', { ...filters, before: next, page: pageNo + 1 }) }),
    });
  });

  router.get('/done', ...auth, async (req, res) => {
    const org = await runtime.org.snapshot();
    const actor = actorOf(req);
    const start = parseCursor((req.query as Record<string, unknown>).before);
    const pageNo = start ? Math.max(2, pageNumber(req)) : 1;
    const search = queryText(req, 'q');
    const matches = taskMatcher(search);
    // The runtime lists my completed tasks by completion time, which its `before` cursor (creation time) cannot
    // page. When they all fit in one query they are paged here; otherwise all completed tasks are read in creation
    // order and mine kept. Both ways the list is newest task first, so a cursor from either stays valid.
    const own = await runtime.listTasks(actor, { scope: 'mine', status: 'completed', limit: paging.batchSize });
    let result: { rows: TaskDoc[]; next: string | null };
    if (own.length < paging.batchSize) {
      const after = own.filter((t) => (!start || isBefore(t, start)) && matches(t)).sort(newestFirst);
      const rows = after.slice(0, paging.pageSize);
      result = { rows, next: after.length > rows.length ? cursorOf(rows[rows.length - 1]!) : null };
    } else {
      result = await taskPage(
        (before, limit) => runtime.listTasks(actor, { scope: 'all', status: 'completed', limit, before: before ?? undefined }),
        (t) => t.completedBy === actor.id && matches(t),
        start,
        paging,
      );
    }
    await page(req, res, 'done', '已办', 'done', {
      rows: result.rows.map((t) => taskRow(org, t, false)),
      search,
      listSwitch: listSwitch('done', search),
      exportUrl: exportUrl('tasks', { scope: 'mine', status: 'completed', q: search }),
      pager: pager(pageNo, { first: listUrl('/done', { q: search }), next: result.next && listUrl('/done', { q: search, before: result.next, page: pageNo + 1 }) }),
    });
  });

  // The cases of my unit and of the units under it (a street office: its communities'), newest first.
  router.get('/cases', ...auth, async (req, res) => {
    const actor = actorOf(req);
    if (!actor.unitId) throw new PageError(403, '无权访问', '您不属于任何单位，没有辖区案件。');
    const org = await runtime.org.snapshot();
    const requested = pageNumber(req);
    const search = queryText(req, 'q');
    const { items, total } = await instanceSearch.page({ unitWithin: actor.unitId }, search, (requested - 1) * paging.pageSize, paging.pageSize);
    const pages = Math.max(1, Math.ceil(total / paging.pageSize));
    const at = (n: number) => listUrl('/cases', { ...(search ? { q: search } : {}), ...(n > 1 ? { page: n } : {}) });
    if (requested > pages) return res.redirect(303, at(pages));
    await page(req, res, 'cases', '辖区案件', 'cases', {
      unitName: org.label(actor.unitId),
      search,
      exportUrl: exportUrl('instances', { scope: 'unit', q: search }),
      rows: items.map((i) => ({
        id: i._id,
        processName: i.processName || i.processKey,
        businessKey: i.businessKey,
        unit: i.unitId ? org.unit(i.unitId)?.name ?? '' : '',
        status: STATUS_NAMES[i.status] ?? i.status,
        statusClass: i.status,
        startedAt: i.startedAt,
        endedAt: i.endedAt,
      })),
      total,
      pager: pager(requested, { first: at(1), prev: requested > 1 ? at(requested - 1) : null, next: requested < pages ? at(requested + 1) : null }, pages),
    });
  });

  router.get('/mine', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const requested = pageNumber(req);
    const search = queryText(req, 'q');
    const { items, total } = await instanceSearch.page({ startedBy: actor.id }, search, (requested - 1) * paging.pageSize, paging.pageSize);
    const pages = Math.max(1, Math.ceil(total / paging.pageSize));
    const at = (n: number) => listUrl('/mine', { q: search, page: n > 1 ? n : null });
    if (requested > pages) return res.redirect(303, at(pages));
    const rows = items.map((i) => ({
      id: i._id,
      processName: i.processName || i.processKey,
      businessKey: i.businessKey,
      status: STATUS_NAMES[i.status] ?? i.status,
      statusClass: i.status,
      startedAt: i.startedAt,
      endedAt: i.endedAt,
    }));
    await page(req, res, 'mine', '我发起的', 'mine', {
      rows,
      total,
      search,
      listSwitch: listSwitch('mine', search),
      exportUrl: exportUrl('instances', { scope: 'mine', q: search }),
      pager: pager(requested, {
        first: at(1),
        prev: requested > 1 ? at(requested - 1) : null,
        next: requested < pages ? at(requested + 1) : null,
      }, pages),
    });
  });

  // ── one task ────────────────────────────────────────────────────────────────

  async function loadTask(req: Request): Promise<{ actor: Actor; task: TaskDoc }> {
    const actor = actorOf(req);
    const task = await runtime.getTask(param(req, 'id'));
    if (!canViewTask(runtime, task, actor)) {
      throw new PageError(403, '无权办理', '这项待办不属于您或您所在的用户组，您无权查看或办理。');
    }
    return { actor, task };
  }

  const namesByDefinition = new Map<string, Map<string, string>>();
  async function namesOf(view: InstanceView): Promise<Map<string, string>> {
    const key = `${view.instance.processKey}:${view.instance.version}`;
    let names = namesByDefinition.get(key);
    if (!names) {
      try {
        names = elementNames((await runtime.getDefinition(view.instance.processKey, view.instance.version)).xml);
      } catch {
        names = new Map();
      }
      if (namesByDefinition.size > 200) namesByDefinition.clear();
      namesByDefinition.set(key, names);
    }
    return names;
  }

  /** Display names of user ids (the id itself for a user no longer known). */
  async function peopleOf(ids: Iterable<string | null | undefined>): Promise<Map<string, string>> {
    const unique = [...new Set([...ids].filter((id): id is string => !!id))].slice(0, 200);
    const users = await Promise.all(unique.map((id) => findUserById(deps.db, id)));
    return new Map(unique.map((id, i) => [id, users[i]?.displayName || id]));
  }

  /**
   * The instance's timeline: audit entries and sign-offs, without the noise of passing gateways and of the plain
   * `element.completed` of steps whose own entry (task, service or timer) says more. `people` names every user shown on
   * the instance's pages (actors, starter, assignees).
   */
  async function historyOf(
    view: InstanceView,
    actor: Actor,
    extraPeople: (string | null | undefined)[] = [],
  ): Promise<{ audit: AuditDoc[]; signoffs: SignoffDoc[]; rows: unknown[]; people: Map<string, string> }> {
    const instanceId = view.instance._id;
    const redaction = reviewRedaction(view, actor); // an open independent review hides the others' submissions
    const [[audit, signoffs], names] = await Promise.all([
      runtime
        .getAudit(instanceId)
        .then(async (history) => [redaction.audit(history), redaction.signoffs(await runtime.getSignoffs(instanceId, history))] as const),
      namesOf(view),
    ]);
    const people = await peopleOf([
      view.instance.startedBy,
      ...view.openTasks.map((t) => t.assignee),
      ...audit.map((e) => e.actor),
      ...extraPeople,
    ]);
    const byTask = new Map(signoffs.map((s) => [s.taskId, s]));
    const toldElsewhere = new Set(
      audit.filter((e) => e.type.startsWith('task.') || e.type === 'service.completed' || e.type === 'timer.fired').map((e) => e.elementId),
    );
    const isGateway = (e: AuditDoc) => typeof e.data?.elementType === 'string' && /Gateway$/.test(e.data.elementType);
    const rows = audit
      .filter((e) => e.type !== 'task.created' && !(e.type === 'element.completed' && (toldElsewhere.has(e.elementId) || isGateway(e))))
      .map((e) => {
        const signoff = e.taskId ? byTask.get(e.taskId) : undefined;
        const withSignoff = e.type === 'task.completed' && signoff;
        const step =
          typeof e.data?.name === 'string'
            ? e.data.name
            : withSignoff
              ? signoff.stepName
              : e.elementId
                ? names.get(e.elementId) || e.elementId
                : null;
        return {
          at: e.at,
          what: AUDIT_NAMES[e.type] ?? e.type,
          step,
          who: e.data?.hidden ? '其他评审人（独立评审进行中，暂不公开）' : withSignoff ? signoff.byName || signoff.by : e.actor ? people.get(e.actor) ?? e.actor : '系统',
          decision: withSignoff ? APPROVAL_DECISIONS[signoff.decision] ?? signoff.decision : null,
          decisionClass: withSignoff ? signoff.decision : null,
          opinion: withSignoff ? signoff.opinion : null,
          source: withSignoff ? signoff.source : null,
          message:
            e.type === 'incident' && typeof e.data?.message === 'string'
              ? e.data.message
              : e.type.startsWith('admin.') && typeof e.data?.reason === 'string'
                ? `原因：${e.data.reason}`
                : null,
        };
      });
    return { audit, signoffs, rows, people };
  }

  function keyFacts(view: InstanceView, people: Map<string, string>) {
    const i = view.instance;
    return {
      id: i._id,
      processName: i.processName || i.processKey,
      processKey: i.processKey,
      version: i.version,
      businessKey: i.businessKey,
      status: STATUS_NAMES[i.status] ?? i.status,
      statusClass: i.status,
      startedBy: i.startedBy ? people.get(i.startedBy) ?? i.startedBy : null,
      startedAt: i.startedAt,
      endedAt: i.endedAt,
    };
  }

  async function renderTask(
    req: Request,
    res: Response,
    actor: Actor,
    task: TaskDoc,
    submitted: Record<string, unknown> | null,
    errors: Record<string, string>,
    message: string | null,
    status = 200,
    action: { name: string; error: string; values: Record<string, string> } | null = null,
  ) {
    const org = await runtime.org.snapshot();
    const view = await runtime.getInstance(task.instanceId);
    const history = await historyOf(view, actor, [task.assignee, task.completedBy, task.owner ?? null, ...(task.cosigners ?? [])]);
    const person = (id: string | null | undefined) => (id ? history.people.get(id) ?? id : null);
    const caseRows = (await runtime.caseOf(view.instance, history.audit)).map((entry) => ({
      ...entry,
      who: entry.hidden ? '其他评审人' : person(entry.by) ?? '系统',
      fields: entry.fields.map((f) => ({ label: f.label, display: f.value instanceof Date || isDateTimeText(f.value) ? formatDateTime(f.value) : f.display })),
    }));
    if (task.status !== 'open') {
      return page(req, res, 'task-done', task.name, 'tasks', {
        task: taskRow(org, task, false),
        completedBy: person(task.completedBy),
        cancelled: task.status === 'cancelled',
        mayRecall: task.status === 'completed' && task.completedBy === actor.id,
        actionError: action?.error,
        instance: keyFacts(view, history.people),
        caseRows,
        attachments: await records.attachments(req, view, actor, task),
      });
    }
    const schema = asSchema(task.formSchema);
    const variables = await runtime.taskContext(task);
    const mayAct = runtime.canAct(task, actor);
    const draft = !submitted && mayAct ? await runtime.getDraft(task._id, actor.id) : null;
    // Submitted for 后加签: everyone who may see the task reads what was submitted; nobody edits it.
    const held = task.held ?? null;
    const shown = held ? held.values : (submitted ?? (draft?.values as Record<string, unknown> | undefined) ?? null);
    const fields = schema ? fieldViews(schema, variables, shown, errors, { now: clock.now() }) : [];
    const pendingSigners = await runtime.pendingSigners(task);
    const handles = mayAct && !task.owner && !held;
    const actions = {
      unclaim: task.assignee === actor.id && !task.owner && !held,
      transfer: handles,
      delegate: handles,
      cc: mayAct,
      remind: !mayAct || pendingSigners.some((u) => u !== actor.id),
      return: mayAct && !held,
      addSigners: handles,
    };
    await page(
      req,
      res,
      'task',
      task.name,
      'tasks',
      {
        task: taskRow(org, task, !task.assignee),
        mayAct,
        actions: { ...actions, any: Object.values(actions).some(Boolean) },
        actionError: action?.error,
        openAction: action?.name,
        values: action?.values ?? {},
        people: await peopleOptions(org),
        returnTargets: mayAct && !held ? await runtime.returnTargets(task) : [],
        ccRoles: GROUPS.filter((g) => g.id !== 'admin'),
        remindMinutes: runtime.remindIntervalMinutes,
        owner: task.owner ? person(task.owner) : null,
        delegatedToMe: !!task.owner && task.assignee === actor.id,
        draftSavedAt: draft?.savedAt ?? null,
        cosigners: (task.cosigners ?? []).map((u) => ({ name: person(u), signed: !pendingSigners.includes(u) })),
        held: held ? { at: held.at, by: person(held.by), mine: held.by === actor.id } : null,
        mayEdit: mayAct && !held,
        signAfter: handles && !(task.cosigners ?? []).length,
        instanceSigners: handles && task.isMultiInstance,
        mayCosign: pendingSigners.includes(actor.id),
        cosignError: action?.name === 'cosign' ? action.error : undefined,
        assignee: person(task.assignee),
        assignedToMe: task.assignee === actor.id,
        instance: keyFacts(view, history.people),
        policy: policyOf(task.documentation),
        fields,
        approval: !!schema?.approval,
        message,
        otherErrors: orphanErrors(schema, errors),
        history: history.rows,
        caseRows,
        attachments: await records.attachments(req, view, actor, task),
      },
      status,
    );
  }

  router.get('/tasks/:id', ...auth, async (req, res) => {
    const { actor, task } = await loadTask(req);
    await renderTask(req, res, actor, task, null, {}, null);
  });

  router.post('/tasks/:id', ...auth, async (req, res) => {
    const { actor, task } = await loadTask(req);
    if (task.status !== 'open') return renderTask(req, res, actor, task, null, {}, null);
    if (!runtime.canAct(task, actor)) throw new PageError(403, '无权办理', '这项待办不属于您，您无权办理。');
    const schema: FormSchema = asSchema(task.formSchema) ?? { fields: [], approval: false };
    const submitted = submittedValues(schema, body(req));
    if (bodyText(req, '_action') === 'draft') {
      await runtime.saveDraft(task._id, submitted, actor);
      return redirectWithFlash(req, res, `已暂存：${task.name}（尚未提交）`, `/tasks/${encodeURIComponent(task._id)}`);
    }
    const what = `${task.name}${task.businessKey ? `（${task.businessKey}）` : ''}`;
    if (bodyText(req, '_action') === 'sign-after') {
      const signers = names(bodyText(req, 'afterSigners'));
      try {
        await runtime.addSigners(task._id, { users: signers, reason: bodyText(req, 'afterReason'), position: 'after', values: submitted }, actor);
      } catch (err) {
        if (err instanceof RuntimeError && err.code !== 'not_found') {
          return renderTask(req, res, actor, task, submitted, err.details.fields ?? {}, err.message, statusOf(err.code), { name: 'sign-after', error: err.message, values: { afterSigners: bodyText(req, 'afterSigners'), afterReason: bodyText(req, 'afterReason') } });
        }
        throw err;
      }
      return redirectWithFlash(req, res, `已提交，待 ${signers.length} 位后加签人签署同意后流程继续：${what}`, `/tasks/${encodeURIComponent(task._id)}`);
    }
    let resolved = false;
    try {
      resolved = !!(await runtime.complete(task._id, submitted, actor)).delegationResolved;
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'validation_failed') {
        return renderTask(req, res, actor, task, submitted, err.details.fields ?? {}, err.message, 400);
      }
      throw err;
    }
    await redirectWithFlash(req, res, resolved ? `已交回委派人：${what}` : `已提交：${what}`, '/tasks');
  });

  // ── approval actions (runtime/commands/approval.ts) ─────────────────────────

  /** Runs an approval action; a refusal the person can fix shows on the task page beside its form, typed values kept. */
  async function taskAction(req: Request, res: Response, name: string, run: (actor: Actor, task: TaskDoc) => Promise<string>, fields: string[]) {
    const { actor, task } = await loadTask(req);
    try {
      const flash = await run(actor, task);
      await redirectWithFlash(req, res, flash, ['remind', 'cc', 'add-signers', 'cosign'].includes(name) ? `/tasks/${encodeURIComponent(task._id)}` : '/tasks');
    } catch (err) {
      if (err instanceof RuntimeError && err.code !== 'not_found') {
        const values = Object.fromEntries(fields.map((f) => [f, bodyText(req, f)]));
        const fresh = await runtime.getTask(task._id);
        const status = err.code === 'rate_limited' ? 429 : err.code === 'forbidden' ? 403 : err.code === 'conflict' ? 409 : 400;
        return renderTask(req, res, actor, fresh, null, {}, null, status, { name, error: err.message, values });
      }
      throw err;
    }
  }

  router.post('/tasks/:id/unclaim', ...auth, (req, res) =>
    taskAction(req, res, 'unclaim', async (actor, task) => (await runtime.unclaim(task._id, actor), `已取消签收：${task.name}`), []),
  );

  router.post('/tasks/:id/transfer', ...auth, (req, res) =>
    taskAction(req, res, 'transfer', async (actor, task) => {
      const moved = await runtime.transfer(task._id, bodyText(req, 'to'), bodyText(req, 'reason'), actor);
      return `已转办给 ${await displayName(moved.assignee)}：${task.name}`;
    }, ['to', 'reason']),
  );

  router.post('/tasks/:id/return', ...auth, (req, res) =>
    taskAction(req, res, 'return', async (actor, task) => {
      const { target } = await runtime.returnTo(task._id, bodyText(req, 'targetElementId'), bodyText(req, 'reason'), actor);
      return `已退回到 ${target.name}：${task.name}`;
    }, ['reason']),
  );

  router.post('/tasks/:id/recall', ...auth, async (req, res) => {
    const { actor, task } = await loadTask(req);
    try {
      const again = await runtime.recall(task._id, bodyText(req, 'reason'), actor);
      await redirectWithFlash(req, res, `已撤回，请重新办理：${task.name}`, `/tasks/${encodeURIComponent(again._id)}`);
    } catch (err) {
      if (err instanceof RuntimeError && err.code !== 'not_found') {
        return renderTask(req, res, actor, task, null, {}, null, err.code === 'forbidden' ? 403 : 409, { name: 'recall', error: err.message, values: {} });
      }
      throw err;
    }
  });

  router.post('/tasks/:id/add-signers', ...auth, (req, res) =>
    taskAction(req, res, 'add-signers', async (actor, task) => {
      const position = bodyText(req, 'position') || 'before';
      const added = await runtime.addSigners(task._id, { users: names(bodyText(req, 'users')), reason: bodyText(req, 'reason'), position }, actor);
      if (position === 'instance') return `已为“${task.name}”增加 ${added.created.length} 份，由加签人员各自办理`;
      return `已加签 ${(added.task.cosigners ?? []).length} 人，全部签署后可提交：${task.name}`;
    }, ['users', 'reason', 'position']),
  );

  router.post('/tasks/:id/cosign', ...auth, (req, res) =>
    taskAction(req, res, 'cosign', async (actor, task) => {
      await runtime.cosign(task._id, { decision: bodyText(req, 'decision') || undefined, opinion: bodyText(req, 'opinion') }, actor);
      return `已签署：${task.name}`;
    }, ['opinion']),
  );

  router.post('/tasks/:id/delegate', ...auth, (req, res) =>
    taskAction(req, res, 'delegate', async (actor, task) => {
      const moved = await runtime.delegate(task._id, bodyText(req, 'to'), bodyText(req, 'reason'), actor);
      return `已委派给 ${await displayName(moved.assignee)}，办理后交回您：${task.name}`;
    }, ['to', 'reason']),
  );

  router.post('/tasks/:id/cc', ...auth, (req, res) =>
    taskAction(req, res, 'cc', async (actor, task) => {
      const users = names(bodyText(req, 'users'));
      const raw = (req.body as Record<string, unknown>).groups;
      const groups = (Array.isArray(raw) ? raw : raw ? [raw] : []).filter((g): g is string => typeof g === 'string');
      const { copied } = await runtime.copy(task._id, { users, groups, note: bodyText(req, 'note') }, actor);
      return `已抄送 ${copied.length} 人：${task.name}`;
    }, ['users', 'note']),
  );

  router.post('/tasks/:id/remind', ...auth, (req, res) =>
    taskAction(req, res, 'remind', async (actor, task) => {
      const view = await runtime.getInstance(task.instanceId);
      if (!(await canViewInstance(runtime, view, actor))) throw new RuntimeError('forbidden', '您无权催办该任务');
      const { reminded } = await runtime.remind(task._id, actor);
      return `已催办 ${reminded.length} 人：${task.name}`;
    }, []),
  );

  router.post('/instances/:id/withdraw', ...auth, async (req, res) => {
    const actor = actorOf(req);
    const id = param(req, 'id');
    try {
      await runtime.withdraw(id, bodyText(req, 'reason'), actor);
    } catch (err) {
      if (err instanceof RuntimeError && err.code !== 'not_found') {
        return redirectWithFlash(req, res, `不能撤回：${err.message}`, `/instances/${encodeURIComponent(id)}`);
      }
      throw err;
    }
    await redirectWithFlash(req, res, '已撤回，流程已取消。', `/instances/${encodeURIComponent(id)}`);
  });

  // ── 站内消息 and 抄送我的 ───────────────────────────────────────────────────────

  router.get('/messages', ...auth, async (req, res) => {
    const { items, unread } = await runtime.messages(actorOf(req));
    await page(req, res, 'messages', '站内消息', 'messages', {
      unread,
      rows: items.slice(0, 200).map((m) => ({ ...m, kindName: MESSAGE_KINDS[m.kind] ?? m.kind, link: m.taskId ? `/tasks/${encodeURIComponent(m.taskId)}` : m.instanceId ? `/instances/${encodeURIComponent(m.instanceId)}` : null })),
    });
  });

  router.post('/messages/read-all', ...auth, async (req, res) => {
    await runtime.markAllMessagesRead(actorOf(req));
    await redirectWithFlash(req, res, '已全部标为已读', '/messages');
  });

  router.post('/messages/:id/read', ...auth, async (req, res) => {
    await runtime.markMessageRead(actorOf(req), param(req, 'id'));
    const next = bodyText(req, 'next');
    res.redirect(303, next.startsWith('/') && !next.startsWith('//') ? next : '/messages');
  });

  router.get('/cc', ...auth, async (req, res) => {
    const copies = await runtime.copiesFor(actorOf(req).id, 200);
    await page(req, res, 'cc', '抄送我的', 'cc', { rows: copies });
  });

  router.post('/tasks/:id/claim', ...auth, async (req, res) => {
    const { actor, task } = await loadTask(req);
    await runtime.claim(task._id, actor);
    await redirectWithFlash(req, res, `已签收：${task.name}`, `/tasks/${encodeURIComponent(task._id)}`);
  });

  async function displayName(id: string | null): Promise<string> {
    if (!id) return '';
    return (await findUserById(deps.db, id))?.displayName ?? id;
  }

  /** The person picker's options: every enabled user, with their unit. */
  async function peopleOptions(org: OrgSnapshot) {
    return (await listUsers(deps.db))
      .filter((u) => !u.disabled)
      .map((u) => ({ id: u._id, label: `${u.displayName}（${u.unitId ? org.unit(u.unitId)?.name ?? '' : '全系统'}）` }));
  }

  // ── starting a process ──────────────────────────────────────────────────────

  /** The units a person may file a case under: their own (an organisation's: its district or street) and those under it. */
  function startUnits(org: OrgSnapshot, actor: Actor) {
    const home = org.homeUnit(actor.unitId);
    const units = isAdmin(actor) ? org.units : home ? org.subtree(home) : [];
    const depth = home ? org.path(home).length : 1;
    return units.map((u) => ({ id: u._id, label: `${'　'.repeat(Math.max(0, u.path.length - depth))}${u.name}`, home: u._id === home }));
  }

  /**
   * The 所属单位 choice of one process: the units of the kinds it requires (a community's election) among the starter's,
   * preselected only when the starter's own unit is one or there is just one; otherwise the person must choose.
   */
  function unitChoice(org: OrgSnapshot, units: ReturnType<typeof startUnits>, kinds: string[], chosen: string | null) {
    const allowed = kinds.length ? units.filter((u) => kinds.includes(org.unit(u.id)?.kind ?? '')) : units;
    const preset = chosen ?? allowed.find((u) => u.home)?.id ?? (allowed.length === 1 ? allowed[0]!.id : null);
    return {
      // Units of one kind are a flat list: no tree indentation.
      units: allowed.map((u) => ({ ...u, label: kinds.length ? (org.unit(u.id)?.name ?? u.label) : u.label, selected: u.id === preset })),
      chooseUnit: !preset && allowed.length > 1,
      unitKindName: kinds.map(unitKindName).join('或'),
    };
  }

  async function startable(actor: Actor) {
    return (await runtime.listProcesses()).filter((p) => canStart(p.starterGroups, actor));
  }

  async function renderStart(
    req: Request,
    res: Response,
    actor: Actor,
    failed: {
      key: string;
      businessKey: string;
      unitId: string;
      submitted: Record<string, unknown>;
      errors: Record<string, string>;
      message: string;
      /** Why the form's files were refused, one sentence per file. */
      fileErrors?: string[];
    } | null,
  ) {
    const org = await runtime.org.snapshot();
    const units = startUnits(org, actor);
    const processes = (await startable(actor)).map((p) => {
      const schema = asSchema(p.startForm);
      const mine = failed?.key === p.key ? failed : null;
      return {
        key: p.key,
        name: p.name || p.key,
        version: p.latestVersion,
        fields: schema ? fieldViews(schema, {}, mine ? mine.submitted : null, mine?.errors ?? {}, { prefix: `s_${p.key.replace(/[^A-Za-z0-9_-]/g, '_')}`, now: clock.now() }) : [],
        businessKey: mine?.businessKey ?? '',
        businessKeyError: mine?.errors.businessKey,
        ...unitChoice(org, units, p.caseUnitKinds, mine?.unitId ?? null),
        unitError: mine?.errors.unitId,
        message: mine?.message,
        otherErrors: mine ? orphanErrors(schema, { ...mine.errors, businessKey: '', unitId: '' }).filter(Boolean) : [],
        fileErrors: mine?.fileErrors ?? [],
        open: !!mine,
      };
    });
    await page(req, res, 'start', '发起流程', 'start', { processes, upload: startUploadView }, failed ? 400 : 200);
  }

  router.get('/start', ...auth, async (req, res) => {
    await renderStart(req, res, actorOf(req), null);
  });

  // The start form is multipart when it carries files (read, within limits, before the CSRF check reads its token).
  router.post('/start/:key', signedIn, form, receiveStartForm(MAX_FORM_BYTES, MAX_FORM_FIELDS), verifyCsrf, async (req, res) => {
    const actor = actorOf(req);
    const key = param(req, 'key');
    const summary = (await startable(actor)).find((p) => p.key === key);
    if (!summary) throw new PageError(404, '流程不存在', '该流程不存在，或您所在的用户组不能发起该流程。');
    const schema: FormSchema = asSchema(summary.startForm) ?? { fields: [], approval: false };
    const submitted = submittedValues(schema, body(req));
    const businessKey = bodyText(req, 'businessKey').trim().slice(0, 200);
    const unitId = bodyText(req, 'unitId').trim();
    const input = { businessKey: businessKey || null, variables: submitted, unitId: unitId || undefined };
    // Every file is checked before the start: a refused one means no case, and the form comes back as typed, with
    // the form's own mistakes beside the files' so that one more submission can fix both.
    const uploads = startFiles(req, res);
    if (uploads.refusals.length) {
      const errors = await runtime.checkStart(key, input, actor).then(() => ({}), (err: unknown) => startRefusal(err) ?? Promise.reject(err));
      const mistakes = Object.keys(errors).length;
      const message = `附件未通过检查${mistakes ? `，表单也有 ${mistakes} 处需要修改` : ''}，流程未发起。已填写的内容已保留，请${mistakes ? '修改后' : ''}重新选择附件再提交。`;
      return renderStart(req, res, actor, { key, businessKey, unitId, submitted, errors, message, fileErrors: uploads.refusals });
    }
    try {
      const view = await runtime.startInstance(key, input, actor);
      const started = `已发起：${summary.name || key}${businessKey ? `（${businessKey}）` : ''}`;
      const lost = await records.addAtStart(actor, view, uploads.files);
      if (lost.length) req.session.attachmentError = `以下附件未能保存，请在此重新上传：${lost.join('；')}`;
      await redirectWithFlash(
        req,
        res,
        lost.length ? `${started}。但有 ${lost.length} 个附件未能保存，见下方“附件”。` : uploads.files.length ? `${started}，附件 ${uploads.files.length} 个已保存` : started,
        `/instances/${encodeURIComponent(view.instance._id)}${lost.length ? '#attachments' : ''}`,
      );
    } catch (err) {
      const errors = startRefusal(err);
      if (errors) return renderStart(req, res, actor, { key, businessKey, unitId, submitted, errors, message: (err as Error).message });
      throw err;
    }
  });

  /** A start refused for what was typed (the form, the business key, the unit), as the fields at fault; else null. */
  function startRefusal(err: unknown): Record<string, string> | null {
    if (!(err instanceof RuntimeError)) return null;
    const unitRefused = err.code === 'forbidden' && !!err.details.fields?.unitId;
    return err.code === 'validation_failed' || err.code === 'bad_request' || unitRefused ? (err.details.fields ?? {}) : null;
  }

  // ── instance ────────────────────────────────────────────────────────────────

  router.get('/instances/:id', ...auth, async (req, res) => {
    const org = await runtime.org.snapshot();
    const actor = actorOf(req);
    const view = await runtime.getInstance(param(req, 'id'));
    const history = await historyOf(view, actor);
    if (!(await canViewInstance(runtime, view, actor, history.audit))) throw new PageError(403, '无权查看', '您无权查看该流程实例。');
    const notices = (await runtime.listNotices({ limit: 200 })).filter((n) => n.instanceId === view.instance._id);
    const active = view.instance.activeElements ?? [];
    const incident = (view.instance.incidents ?? []).map((i) => i.elementId);
    const completed = [...new Set(history.audit.map((e) => e.elementId).filter((id): id is string => !!id && !active.includes(id)))];
    // Where the diagram opens when it is too wide to show whole at a readable size: the current step, else the last one.
    const focus = active[0] ?? incident.find(Boolean) ?? [...history.audit].reverse().find((e) => e.elementId)?.elementId ?? '';
    await page(req, res, 'instance', `${view.instance.processName || view.instance.processKey}`, 'mine', {
      instance: keyFacts(view, history.people),
      openTasks: view.openTasks.map((t) => ({
        ...taskRow(org, t, !t.assignee),
        assignee: t.assignee ? history.people.get(t.assignee) ?? t.assignee : null,
        mayOpen: canViewTask(runtime, t, actor),
      })),
      incidents: (view.instance.incidents ?? []).map((i) => ({ message: i.message, at: i.at, elementId: i.elementId })),
      mayWithdraw: view.instance.startedBy === actor.id && (view.instance.status === 'running' || view.instance.status === 'incident'),
      // What the instance waits for and until when (等待公示期满，至…): its timers by the names of their events.
      waiting: await (async () => {
        const names = await namesOf(view);
        return (view.instance.timers ?? []).map((t) => ({ what: names.get(t.elementId) || t.elementId, until: t.dueAt }));
      })(),
      history: history.rows,
      attachments: await records.attachments(req, view, actor),
      notices: notices.map((n) => ({ id: n._id, title: n.title, publishedAt: n.publishedAt, endAt: n.endAt })),
      diagram: {
        xmlUrl: `/api/processes/${encodeURIComponent(view.instance.processKey)}/versions/${view.instance.version}/xml`,
        completed: completed.join(','),
        active: active.join(','),
        incident: incident.join(','),
        focus,
      },
    });
  });

  // ── public notice board ─────────────────────────────────────────────────────

  router.get('/notices', async (req, res) => {
    const now = clock.now().getTime();
    const org = await runtime.org.snapshot();
    const unitId = queryText(req, 'unit');
    const chosen = unitId && org.unit(unitId) ? unitId : '';
    const notices = await runtime.listNotices({ current: true, limit: 200, ...(chosen ? { unitWithin: chosen } : {}) });
    const rows = notices.map((n) => ({
      id: n._id,
      title: n.title,
      kind: kindName(n.kind),
      businessKey: n.businessKey,
      publishedAt: n.publishedAt,
      endAt: n.endAt,
      days: n.days,
      workingDays: n.workingDays,
      current: new Date(n.endAt).getTime() >= now,
      unit: n.unitId ? org.unit(n.unitId)?.name ?? '' : '',
    }));
    // Territorial units only: a notice is filed under the case's community, street or district.
    const units = org.units
      .filter((u) => u.kind !== 'organization')
      .map((u) => ({ id: u._id, label: `${'　'.repeat(u.path.length - 1)}${u.name}`, selected: u._id === chosen }));
    await page(req, res, 'notices', '公示栏', 'notices', { rows, units, unitName: chosen ? org.unit(chosen)!.name : '' });
  });

  router.get('/notices/:id', async (req, res) => {
    const n = await runtime.getNotice(param(req, 'id'));
    await page(req, res, 'notice', n.title, 'notices', {
      notice: {
        id: n._id,
        title: n.title,
        kind: kindName(n.kind),
        businessKey: n.businessKey,
        publishedAt: n.publishedAt,
        endAt: n.endAt,
        days: n.days,
        workingDays: n.workingDays,
        html: views.safe(n.html),
        ended: new Date(n.endAt).getTime() < clock.now().getTime(),
      },
    });
  });

  // ── errors as pages ─────────────────────────────────────────────────────────

  const pageErrors: ErrorRequestHandler = (err, req, res, next) => {
    if (res.headersSent || req.originalUrl.startsWith('/api/') || req.originalUrl.startsWith('/admin')) return next(err);
    const { status, title, message } = describePageError(err);
    if (status >= 500) console.error(`[web] ${req.method} ${req.originalUrl}:`, err);
    page(req, res, 'error', title, '', { status, heading: title, message, at: formatDateTime(clock.now()) }, status).catch(next);
  };
  router.use(pageErrors);

  return router;
}
