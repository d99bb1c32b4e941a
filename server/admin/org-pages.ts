import type { Request, RequestHandler, Response, Router } from 'express';
import { GROUPS, groupName } from '../auth/groups.js';
import { UserInputError } from '../auth/users.js';
import { verifyCsrf } from '../http/csrf.js';
import { megabytes, receiveFile } from '../http/file-upload.js';
import { param, queryText } from '../http/request-params.js';
import type { OrgAdmin } from '../org/admin.js';
import { MAX_IMPORT_BYTES, readImportSheet, SheetError } from '../org/import-sheet.js';
import type { OrgSnapshot } from '../org/scoping.js';
import { UNIT_KINDS, unitKindName, UnitError } from '../org/units.js';
import type { Actor, RuntimeApi } from '../runtime/api.js';
import type { PageData } from '../web/views.js';
import { PageError } from '../web/page-errors.js';

/** What the organisation pages need of the admin console (server/admin/router.ts). */
export interface OrgPagesDeps {
  orgAdmin: OrgAdmin;
  runtime: Pick<RuntimeApi, 'org'>;
  page(req: Request, res: Response, name: string, title: string, data: PageData, status?: number): Promise<void>;
  actorOf(req: Request): Actor;
  adminOnly: RequestHandler;
}

type Flashing = Request & { session: { flash?: string } };

/**
 * The user import: its multipart body must be read before the CSRF check (the token is a field of it), so this
 * route is mounted before the console's form parser and CSRF check.
 */
export function mountImportPage(router: Router, deps: OrgPagesDeps): void {
  const receive = receiveFile(MAX_IMPORT_BYTES, (why, _req, _res, next) =>
    next(new PageError(400, '无法导入', why === 'too_large' ? `文件过大（最大 ${megabytes(MAX_IMPORT_BYTES)}）` : '上传的内容无法读取，请重新选择文件。')),
  );
  router.post('/admin/users/import', deps.adminOnly, receive, verifyCsrf, async (req, res) => {
    const org = await deps.runtime.org.snapshot();
    if (!req.file) return usersPage(deps, req, res, org, { importError: '请选择要导入的文件（.xlsx 或 .csv）' }, 400);
    try {
      const rows = await readImportSheet(req.file);
      const report = await deps.orgAdmin.importUsers(rows, deps.actorOf(req));
      await usersPage(deps, req, res, await deps.runtime.org.snapshot(), { report: { ...report, file: req.file.originalname, rows: rows.length } });
    } catch (err) {
      if (err instanceof SheetError || err instanceof UserInputError) return usersPage(deps, req, res, org, { importError: err.message }, 400);
      throw err;
    }
  });
}

export function mountOrgPages(router: Router, deps: OrgPagesDeps): void {
  const { orgAdmin, runtime, page, actorOf } = deps;

  router.get('/admin/units', async (req, res) => unitsPage(deps, req, res, await runtime.org.snapshot()));

  router.post('/admin/units', async (req, res) => {
    const input = { name: field(req, 'name'), kind: field(req, 'kind'), parentId: field(req, 'parentId') || null, id: field(req, 'id') || undefined };
    try {
      const unit = await orgAdmin.createUnit(input, actorOf(req));
      await flash(req, `已添加${unitKindName(unit.kind)}“${unit.name}”。`);
      res.redirect(303, '/admin/units');
    } catch (err) {
      if (!(err instanceof UnitError)) throw err;
      await unitsPage(deps, req, res, await runtime.org.snapshot(), { error: err.message, values: input }, err.conflict ? 409 : 400);
    }
  });

  router.post('/admin/units/:id', async (req, res) => {
    const id = param(req, 'id');
    try {
      if (field(req, 'action') === 'delete') {
        await orgAdmin.deleteUnit(id, actorOf(req));
        await flash(req, '单位已删除。');
      } else {
        const unit = await orgAdmin.updateUnit(id, { name: field(req, 'name') }, actorOf(req));
        await flash(req, `单位已改名为“${unit.name}”。`);
      }
      res.redirect(303, '/admin/units');
    } catch (err) {
      if (!(err instanceof UnitError)) throw err;
      if (err.message === '单位不存在') throw new PageError(404, '单位不存在', '这个单位不存在或已被删除。');
      await unitsPage(deps, req, res, await runtime.org.snapshot(), { error: err.message, errorUnit: id }, err.conflict ? 409 : 400);
    }
  });

  router.get('/admin/users', async (req, res) => usersPage(deps, req, res, await runtime.org.snapshot()));

  router.post('/admin/users', async (req, res) => {
    const input = {
      username: field(req, 'username'),
      displayName: field(req, 'displayName'),
      unitId: field(req, 'unitId'),
      roles: fields(req, 'roles'),
      password: field(req, 'password'),
    };
    try {
      const user = await orgAdmin.createUser(input, actorOf(req));
      await flash(req, `已创建用户 ${user.username}（${user.displayName}）。首次登录须修改密码。`);
      res.redirect(303, `/admin/users?unitId=${encodeURIComponent(user.unitId ?? '')}`);
    } catch (err) {
      if (!(err instanceof UserInputError)) throw err;
      await usersPage(deps, req, res, await runtime.org.snapshot(), { error: err.message, errorField: err.field, values: { ...input, password: '' } }, 400);
    }
  });

  router.get('/admin/users/:id', async (req, res) => userPage(deps, req, res, param(req, 'id')));

  router.post('/admin/users/:id', async (req, res) => {
    const id = param(req, 'id');
    const password = field(req, 'password');
    const input = {
      displayName: field(req, 'displayName'),
      unitId: field(req, 'unitId') || null,
      roles: fields(req, 'roles'),
      disabled: field(req, 'disabled') === '1',
      ...(password ? { password } : {}),
    };
    try {
      await orgAdmin.updateUser(id, input, actorOf(req));
      await flash(req, password ? '已保存，并重置了密码：用户下次登录须修改密码。' : '已保存。');
      res.redirect(303, `/admin/users/${encodeURIComponent(id)}`);
    } catch (err) {
      if (!(err instanceof UserInputError)) throw err;
      if (err.message === '用户不存在') throw new PageError(404, '用户不存在', '这个用户不存在。');
      await userPage(deps, req, res, id, { error: err.message, errorField: err.field }, 400);
    }
  });

  router.get('/admin/org-audit', async (req, res) => {
    const [entries, org] = await Promise.all([orgAdmin.auditLog(), runtime.org.snapshot()]);
    await page(req, res, 'org-audit', '组织与用户操作日志', {
      section: { audit: true },
      rows: entries.map((e) => ({ at: e.at, actor: e.actor, type: AUDIT_TYPES[e.type] ?? e.type, target: org.unit(e.target)?.name ?? e.target, data: describe(e.data, org) })),
    });
  });
}

const AUDIT_TYPES: Record<string, string> = {
  'unit.created': '添加单位',
  'unit.updated': '修改单位',
  'unit.deleted': '删除单位',
  'user.created': '创建用户',
  'user.updated': '修改用户',
  'user.password_reset': '重置密码',
  'users.imported': '导入用户',
};

function describe(data: Record<string, unknown>, org: OrgSnapshot): string {
  const parts: string[] = [];
  if (typeof data.name === 'string') parts.push(`名称：${data.name}`);
  if (typeof data.unitId === 'string') parts.push(`单位：${org.unit(data.unitId)?.name ?? data.unitId}`);
  if (Array.isArray(data.roles)) parts.push(`角色：${(data.roles as string[]).map(groupName).join('、') || '无'}`);
  if (typeof data.disabled === 'boolean') parts.push(data.disabled ? '停用' : '启用');
  if (data.passwordReset) parts.push('重置密码');
  if (Array.isArray(data.created)) parts.push(`创建 ${data.created.length} 个`);
  if (typeof data.refused === 'number') parts.push(`拒绝 ${data.refused} 行`);
  return parts.join('；');
}

async function unitsPage(deps: OrgPagesDeps, req: Request, res: Response, org: OrgSnapshot, extra: PageData = {}, status = 200) {
  const users = await deps.orgAdmin.listUsers();
  const count = new Map<string, number>();
  for (const u of users) if (u.unitId) count.set(u.unitId, (count.get(u.unitId) ?? 0) + 1);
  const node = (id: string): PageData => {
    const unit = org.unit(id)!;
    return {
      id: unit._id,
      name: unit.name,
      kindName: unitKindName(unit.kind),
      users: count.get(unit._id) ?? 0,
      error: extra.errorUnit === unit._id ? extra.error : undefined,
      children: org.childrenOf(unit._id).map((c) => node(c._id)),
    };
  };
  await deps.page(req, res, 'units', '组织机构', {
    section: { units: true },
    tree: org.childrenOf(null).map((u) => node(u._id)),
    kinds: UNIT_KINDS,
    parents: org.units.map((u) => ({ id: u._id, label: `${'　'.repeat(u.path.length - 1)}${u.name}（${unitKindName(u.kind)}）` })),
    ...extra,
    error: extra.errorUnit ? undefined : extra.error,
  }, status);
}

async function usersPage(deps: OrgPagesDeps, req: Request, res: Response, org: OrgSnapshot, extra: PageData = {}, status = 200) {
  const unitId = queryText(req, 'unitId');
  const users = await deps.orgAdmin.listUsers(unitId ? { unitId } : {});
  const values = (extra.values ?? {}) as { roles?: string[]; unitId?: string };
  await deps.page(req, res, 'users', '用户', {
    section: { users: true },
    unitId,
    unitName: unitId ? org.label(unitId) : null,
    rows: users.map((u) => ({
      id: u._id,
      displayName: u.displayName,
      unit: u.unitId ? org.label(u.unitId) : '（全系统）',
      roles: u.groups.map(groupName).join('、'),
      disabled: u.disabled,
      mustChangePassword: u.mustChangePassword,
    })),
    units: unitOptions(org, values.unitId ?? unitId),
    roles: GROUPS.map((g) => ({ id: g.id, name: g.name, checked: values.roles?.includes(g.id) })),
    ...extra,
  }, status);
}

async function userPage(deps: OrgPagesDeps, req: Request, res: Response, id: string, extra: PageData = {}, status = 200) {
  const [users, org] = await Promise.all([deps.orgAdmin.listUsers(), deps.runtime.org.snapshot()]);
  const user = users.find((u) => u._id === id);
  if (!user) throw new PageError(404, '用户不存在', '这个用户不存在。');
  await deps.page(req, res, 'user', `用户 ${user.username}`, {
    section: { users: true },
    user: { id: user._id, username: user.username, displayName: user.displayName, disabled: user.disabled, mustChangePassword: user.mustChangePassword },
    units: unitOptions(org, user.unitId ?? ''),
    roles: GROUPS.map((g) => ({ id: g.id, name: g.name, checked: user.groups.includes(g.id) })),
    ...extra,
  }, status);
}

function unitOptions(org: OrgSnapshot, selected: string) {
  return org.units.map((u) => ({ id: u._id, label: `${'　'.repeat(u.path.length - 1)}${u.name}`, selected: u._id === selected }));
}

function field(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

function fields(req: Request, name: string): string[] {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string' && !!v);
}

/** A one-time message for the next page; saved before the redirect, which a browser follows at once. */
async function flash(req: Request, message: string): Promise<void> {
  (req as Flashing).session.flash = message;
  await new Promise<void>((resolve, reject) => req.session.save((err: unknown) => (err ? reject(err) : resolve())));
}
