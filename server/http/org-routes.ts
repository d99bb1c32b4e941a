import type { RequestHandler, Router } from 'express';
import { groupName } from '../auth/groups.js';
import { toPublicUser, UserInputError } from '../auth/users.js';
import type { UnitDoc, UserDoc } from '../db/types.js';
import type { OrgAdmin } from '../org/admin.js';
import { MAX_IMPORT_BYTES, readImportSheet, SheetError } from '../org/import-sheet.js';
import type { OrgSnapshot } from '../org/scoping.js';
import { unitKindName, UnitError } from '../org/units.js';
import type { RuntimeApi } from '../runtime/api.js';
import { badRequest, HttpError, notFound } from './errors.js';
import { receiveApiFile } from './file-upload.js';
import { actorOf, jsonBody, param, queryText } from './request-params.js';

/** The organisation's admin API: units, users and the import of users (docs/API.md, "Organisation"). */
export function mountOrgRoutes(router: Router, deps: { orgAdmin: OrgAdmin; runtime: Pick<RuntimeApi, 'org'>; admin: RequestHandler[] }): void {
  const { orgAdmin, runtime, admin } = deps;

  router.get('/admin/units', ...admin, async (_req, res) => {
    const org = await runtime.org.snapshot();
    res.json({ items: org.units.map((u) => unitJson(u, org)) });
  });

  router.post('/admin/units', ...admin, async (req, res) => {
    const body = jsonBody(req);
    const unit = await orgCall(() => orgAdmin.createUnit({ name: body.name, kind: body.kind, parentId: body.parentId, id: body.id }, actorOf(req)));
    res.status(201).location(`/api/admin/units/${encodeURIComponent(unit._id)}`).json(unitJson(unit, await runtime.org.snapshot()));
  });

  router.patch('/admin/units/:id', ...admin, async (req, res) => {
    const body = jsonBody(req);
    const unit = await orgCall(() => orgAdmin.updateUnit(param(req, 'id'), { name: body.name, parentId: body.parentId }, actorOf(req)));
    res.json(unitJson(unit, await runtime.org.snapshot()));
  });

  router.delete('/admin/units/:id', ...admin, async (req, res) => {
    await orgCall(() => orgAdmin.deleteUnit(param(req, 'id'), actorOf(req)));
    res.status(204).end();
  });

  router.get('/admin/users', ...admin, async (req, res) => {
    const unitId = queryText(req, 'unitId');
    const [users, org] = await Promise.all([orgAdmin.listUsers(unitId ? { unitId } : {}), runtime.org.snapshot()]);
    res.json({ items: users.map((u) => userJson(u as UserDoc, org)) });
  });

  router.post('/admin/users', ...admin, async (req, res) => {
    const body = jsonBody(req);
    const user = await orgCall(() => orgAdmin.createUser(body, actorOf(req)));
    res.status(201).location(`/api/admin/users/${encodeURIComponent(user._id)}`).json(userJson(user, await runtime.org.snapshot()));
  });

  router.patch('/admin/users/:id', ...admin, async (req, res) => {
    const body = jsonBody(req);
    const user = await orgCall(() => orgAdmin.updateUser(param(req, 'id'), body, actorOf(req)));
    res.json(userJson(user, await runtime.org.snapshot()));
  });

  router.post('/admin/users/import', ...admin, receiveApiFile(MAX_IMPORT_BYTES), async (req, res) => {
    if (!req.file) throw badRequest('请上传文件（multipart 字段 file，.xlsx 或 .csv）', { file: '请选择文件' });
    const rows = await orgCall(() => readImportSheet(req.file!));
    const report = await orgCall(() => orgAdmin.importUsers(rows, actorOf(req)));
    res.json(report);
  });

  router.get('/admin/org-audit', ...admin, async (_req, res) => {
    res.json({ items: await orgAdmin.auditLog() });
  });
}


/** Runs an organisation change, answering its refusals as 400 (bad input), 404 or 409 (the tree's state). */
async function orgCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof UnitError) {
      if (err.conflict) throw new HttpError(409, 'conflict', err.message, err.field ? { fields: { [err.field]: err.message } } : {});
      if (err.message === '单位不存在') throw notFound(err.message);
      throw badRequest(err.message, err.field ? { [err.field]: err.message } : undefined);
    }
    if (err instanceof UserInputError) {
      if (err.message === '用户不存在') throw notFound(err.message);
      const field = err.field === 'groups' ? 'roles' : err.field;
      throw badRequest(err.message, { [field]: err.message });
    }
    if (err instanceof SheetError) throw badRequest(err.message, { file: err.message });
    throw err;
  }
}

export function unitJson(unit: UnitDoc, org: OrgSnapshot) {
  return {
    id: unit._id,
    name: unit.name,
    kind: unit.kind,
    kindName: unitKindName(unit.kind),
    parentId: unit.parentId,
    path: unit.path,
    pathNames: unit.path.map((id) => org.unit(id)?.name ?? id),
  };
}

export function userJson(user: UserDoc, org: OrgSnapshot) {
  const pub = toPublicUser(user);
  return {
    ...pub,
    roles: pub.groups,
    roleNames: pub.groups.map(groupName),
    unitName: pub.unitId ? (org.unit(pub.unitId)?.name ?? null) : null,
  };
}
