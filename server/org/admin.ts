import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { GROUPS, isKnownGroup } from '../auth/groups.js';
import { revokeUserTokens } from '../auth/tokens.js';
import {
  createUser,
  listUsers,
  normalizeUsername,
  setPassword,
  updateUser,
  UserInputError,
  type UserPatch,
} from '../auth/users.js';
import { collections, type Collections } from '../db/collections.js';
import type { OrgAuditDoc, UnitDoc, UserDoc } from '../db/types.js';
import type { Clock } from '../engine/clock.js';
import type { Actor, RuntimeApi } from '../runtime/api.js';
import { createUnit, deleteUnit, updateUnit, UnitError, type NewUnit, type UnitUsage } from './units.js';

/** How many rows one import may hold (a street office's staff is a few hundred). */
export const MAX_IMPORT_ROWS = 2_000;

export interface ImportRow {
  /** Row number in the file (the header is row 1). */
  row: number;
  username: string;
  displayName: string;
  /** Unit id or unit name. */
  unit: string;
  /** Role ids or Chinese role names, separated by 、 , ; or spaces. */
  roles: string;
  password: string;
}

export interface ImportReport {
  created: string[];
  refused: { row: number; username: string; reason: string }[];
}

/**
 * What administrators do to the organisation and its people: every change is checked, written, audited
 * (`orgAudit`) and makes the organisation directory re-read, so that the next task offered, page shown or inbox
 * counted sees it.
 */
export class OrgAdmin {
  private readonly collections: Collections;

  constructor(
    private readonly db: Db,
    private readonly runtime: Pick<RuntimeApi, 'org' | 'listInstances'>,
    private readonly clock: Clock,
  ) {
    this.collections = collections(db);
  }

  // ── units ──

  async createUnit(input: NewUnit, actor: Actor): Promise<UnitDoc> {
    const unit = await createUnit(this.collections.units, input, this.clock.now());
    await this.changed(actor, 'unit.created', unit._id, { name: unit.name, kind: unit.kind, parentId: unit.parentId });
    return unit;
  }

  async updateUnit(id: string, input: { name?: unknown; parentId?: unknown }, actor: Actor): Promise<UnitDoc> {
    const unit = await updateUnit(this.collections.units, id, input, () => this.usage(id), this.clock.now());
    await this.changed(actor, 'unit.updated', id, { name: unit.name, parentId: unit.parentId });
    return unit;
  }

  async deleteUnit(id: string, actor: Actor): Promise<void> {
    const unit = await deleteUnit(this.collections.units, id, () => this.usage(id));
    await this.changed(actor, 'unit.deleted', id, { name: unit.name });
  }

  /** What belongs to a unit (refuses deleting or moving it while something does). */
  async usage(id: string): Promise<UnitUsage> {
    const [children, users, running, cases] = await Promise.all([
      this.collections.units.countDocuments({ parentId: id }),
      this.collections.users.countDocuments({ unitId: id }),
      this.runtime.listInstances({ unitWithin: id, status: 'running', limit: 1 }).then((r) => r.total),
      this.runtime.listInstances({ unitWithin: id, limit: 1 }).then((r) => r.total),
    ]);
    return { children, users, running, cases };
  }

  // ── users ──

  listUsers(filter: { unitId?: string } = {}) {
    return listUsers(this.db, filter);
  }

  /** A new user whose password the administrator chose: they must change it at their first login. */
  async createUser(
    input: { username?: unknown; displayName?: unknown; unitId?: unknown; roles?: unknown; password?: unknown },
    actor: Actor,
  ): Promise<UserDoc> {
    const unitId = await this.checkUnit(input.unitId);
    const groups = checkRoles(input.roles);
    try {
      const user = await createUser(this.db, {
        username: typeof input.username === 'string' ? input.username : '',
        password: typeof input.password === 'string' ? input.password : '',
        displayName: typeof input.displayName === 'string' ? input.displayName : undefined,
        groups,
        unitId,
        mustChangePassword: true,
      });
      await this.changed(actor, 'user.created', user._id, { unitId, roles: groups });
      return user;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) throw new UserInputError(`用户名 ${normalizeUsername(input.username)} 已存在`, 'username');
      throw err;
    }
  }

  /** Changes a user; a password set here is temporary (the user must change it), and ends the user's tokens. */
  async updateUser(
    id: string,
    input: { displayName?: unknown; unitId?: unknown; roles?: unknown; disabled?: unknown; password?: unknown },
    actor: Actor,
  ): Promise<UserDoc> {
    const patch: UserPatch = {};
    if (input.displayName !== undefined) patch.displayName = input.displayName as string;
    if (input.unitId !== undefined) patch.unitId = await this.checkUnit(input.unitId);
    if (input.roles !== undefined) patch.groups = checkRoles(input.roles);
    if (input.disabled !== undefined) patch.disabled = input.disabled as boolean;
    if (id === actor.id && (patch.disabled || (patch.groups && !patch.groups.includes('admin')))) {
      throw new UserInputError('不能停用自己或取消自己的管理员角色', patch.disabled ? 'disabled' : 'groups');
    }
    if (input.password !== undefined && typeof input.password !== 'string') throw new UserInputError('密码必须是文本', 'password');
    let user = await updateUser(this.db, id, patch);
    if (typeof input.password === 'string') {
      await setPassword(this.db, id, input.password, { temporary: true });
      await revokeUserTokens(this.db, id);
      user = { ...user, mustChangePassword: true };
    }
    const changes: Record<string, unknown> = { ...patch };
    if (patch.groups) changes.roles = patch.groups;
    delete changes.groups;
    if (input.password !== undefined) changes.passwordReset = true;
    await this.changed(actor, input.password !== undefined && Object.keys(patch).length === 0 ? 'user.password_reset' : 'user.updated', id, changes);
    return user;
  }

  /** Creates the users of an imported sheet; each refused row says why, and the others are created. */
  async importUsers(rows: ImportRow[], actor: Actor): Promise<ImportReport> {
    const report: ImportReport = { created: [], refused: [] };
    if (rows.length > MAX_IMPORT_ROWS) {
      throw new UserInputError(`一次最多导入 ${MAX_IMPORT_ROWS} 行，本文件有 ${rows.length} 行`, 'username');
    }
    const org = await this.runtime.org.snapshot();
    for (const row of rows) {
      try {
        const unit = org.units.filter((u) => u._id === row.unit.trim() || u.name === row.unit.trim());
        if (!row.unit.trim()) throw new UserInputError('缺少所属单位', 'unitId');
        if (unit.length !== 1) throw new UserInputError(unit.length ? `单位“${row.unit}”有重名，请填写单位标识` : `单位“${row.unit}”不存在`, 'unitId');
        const roles = row.roles
          .split(/[、,，;；\s]+/)
          .map((r) => r.trim())
          .filter(Boolean)
          .map(roleIdOf);
        const user = await this.createUser(
          { username: row.username, displayName: row.displayName || undefined, unitId: unit[0]!._id, roles, password: row.password },
          actor,
        );
        report.created.push(user._id);
      } catch (err) {
        if (!(err instanceof UserInputError) && !(err instanceof UnitError)) throw err;
        report.refused.push({ row: row.row, username: row.username, reason: err.message });
      }
    }
    await this.changed(actor, 'users.imported', `import:${report.created.length}`, { created: report.created, refused: report.refused.length });
    return report;
  }

  /** The newest administrator actions first. */
  auditLog(limit = 200): Promise<OrgAuditDoc[]> {
    return this.collections.orgAudit.find({}).sort({ at: -1 }).limit(limit).toArray();
  }

  private async checkUnit(value: unknown): Promise<string | null> {
    if (value === null) return null;
    if (typeof value !== 'string' || !value) throw new UserInputError('请选择所属单位', 'unitId');
    if (!(await this.collections.units.findOne({ _id: value }, { projection: { _id: 1 } }))) throw new UserInputError('所属单位不存在', 'unitId');
    return value;
  }

  private async changed(actor: Actor, type: string, target: string, data: Record<string, unknown>): Promise<void> {
    this.runtime.org.invalidate();
    await this.collections.orgAudit.insertOne({ _id: randomUUID(), at: this.clock.now(), actor: actor.id, type, target, data });
  }
}

const GROUP_IDS_BY_NAME = new Map(GROUPS.map((g) => [g.name, g.id]));

/** Accepts a role id (`residents-committee`) or its Chinese name (社区居民委员会). */
function roleIdOf(text: string): string {
  return GROUP_IDS_BY_NAME.get(text) ?? text;
}

function checkRoles(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((r) => typeof r !== 'string')) throw new UserInputError('角色必须是角色标识的列表', 'groups');
  const unknown = (value as string[]).filter((r) => !isKnownGroup(r));
  if (unknown.length) throw new UserInputError(`未知角色：${unknown.join('、')}`, 'groups');
  return [...new Set(value as string[])];
}
