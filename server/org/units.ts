import { randomBytes } from 'node:crypto';
import type { Collections } from '../db/collections.js';
import type { UnitDoc, UnitKind } from '../db/types.js';

/**
 * The organisation tree: 市 → 区（县）→ 街道（镇）→ 社区 → 网格, and organisations (区残联, a third-party evaluator, a
 * service provider, the leading office…) attached to any of them. Territorial units nest in that order; an
 * organisation may hang under any unit or be a root.
 */

export const UNIT_KINDS: readonly { id: UnitKind; name: string }[] = Object.freeze([
  { id: 'city', name: '市' },
  { id: 'district', name: '区（县）' },
  { id: 'street', name: '街道（镇）' },
  { id: 'community', name: '社区' },
  { id: 'grid', name: '网格' },
  { id: 'organization', name: '机构（部门）' },
]);

/** The kinds a territorial unit's parent may have; an empty list means it may only be a root. */
const PARENT_KINDS: Record<UnitKind, readonly UnitKind[] | null> = {
  city: [],
  district: ['city'],
  street: ['district'],
  community: ['street'],
  grid: ['community'],
  organization: null,
};

/** Kinds that may be roots of the tree (a district or a street office may run the platform on its own). */
const ROOT_KINDS: readonly UnitKind[] = ['city', 'district', 'street', 'organization'];

export const UNIT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MAX_NAME_LENGTH = 60;

export function unitKindName(kind: string): string {
  return UNIT_KINDS.find((k) => k.id === kind)?.name ?? kind;
}

export function isUnitKind(value: unknown): value is UnitKind {
  return typeof value === 'string' && UNIT_KINDS.some((k) => k.id === value);
}

/** A refused change of the tree: `field` names the input at fault, `conflict` marks a 409 (the tree's state). */
export class UnitError extends Error {
  constructor(
    message: string,
    readonly field: string | null,
    readonly conflict = false,
  ) {
    super(message);
    this.name = 'UnitError';
  }
}

export interface NewUnit {
  name: unknown;
  kind: unknown;
  parentId?: unknown;
  /** A readable id (e.g. `xingfu`), for diagrams that name a unit explicitly; generated when absent. */
  id?: unknown;
}

function checkName(value: unknown): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!name) throw new UnitError('请填写单位名称', 'name');
  if (name.length > MAX_NAME_LENGTH) throw new UnitError(`单位名称最多 ${MAX_NAME_LENGTH} 个字`, 'name');
  return name;
}

async function parentOf(units: Collections['units'], parentId: unknown): Promise<UnitDoc | null> {
  if (parentId === undefined || parentId === null || parentId === '') return null;
  if (typeof parentId !== 'string') throw new UnitError('上级单位无效', 'parentId');
  const parent = await units.findOne({ _id: parentId });
  if (!parent) throw new UnitError('上级单位不存在', 'parentId');
  return parent;
}

function checkPlacement(kind: UnitKind, parent: UnitDoc | null): void {
  if (!parent) {
    if (!ROOT_KINDS.includes(kind)) throw new UnitError(`${unitKindName(kind)}必须有上级单位`, 'parentId');
    return;
  }
  const allowed = PARENT_KINDS[kind];
  if (allowed && !allowed.includes(parent.kind)) {
    const names = allowed.map(unitKindName).join('或');
    throw new UnitError(`${unitKindName(kind)}的上级单位应为${names || '（无）'}，不能是${unitKindName(parent.kind)}`, 'parentId');
  }
  if (parent.kind === 'grid') throw new UnitError('网格下不能再设单位', 'parentId');
}

export async function createUnit(units: Collections['units'], input: NewUnit, now: Date): Promise<UnitDoc> {
  const name = checkName(input.name);
  if (!isUnitKind(input.kind)) throw new UnitError('单位类型无效', 'kind');
  const kind = input.kind;
  const parent = await parentOf(units, input.parentId);
  checkPlacement(kind, parent);
  let id: string;
  if (input.id !== undefined && input.id !== null && input.id !== '') {
    id = typeof input.id === 'string' ? input.id.trim().toLowerCase() : '';
    if (!UNIT_ID_PATTERN.test(id)) throw new UnitError('单位标识只能包含小写字母、数字和连字符（最多 64 个字符）', 'id');
  } else {
    id = `u-${randomBytes(4).toString('hex')}`;
  }
  const doc: UnitDoc = { _id: id, name, kind, parentId: parent?._id ?? null, path: [...(parent?.path ?? []), id], createdAt: now, updatedAt: now };
  try {
    await units.insertOne(doc);
  } catch (err) {
    if ((err as { code?: number }).code === 11000) throw new UnitError(`单位标识 ${id} 已被使用`, 'id', true);
    throw err;
  }
  return doc;
}

/** What belongs to a unit: units under it, users in it, its running cases and all its cases (any status). */
export interface UnitUsage {
  children: number;
  users: number;
  running: number;
  cases: number;
}

/** Renames a unit; moving it is allowed only while nothing belongs to it (cases remember the path they were filed under). */
export async function updateUnit(
  units: Collections['units'],
  id: string,
  input: { name?: unknown; parentId?: unknown },
  usage: () => Promise<UnitUsage>,
  now: Date,
): Promise<UnitDoc> {
  const unit = await units.findOne({ _id: id });
  if (!unit) throw new UnitError('单位不存在', null);
  const set: Partial<UnitDoc> = { updatedAt: now };
  if (input.name !== undefined) set.name = checkName(input.name);
  if (input.parentId !== undefined && (input.parentId || null) !== unit.parentId) {
    const parent = await parentOf(units, input.parentId);
    checkPlacement(unit.kind, parent);
    if (parent?.path.includes(unit._id)) throw new UnitError('不能把单位移到它自己的下级单位之下', 'parentId');
    const used = await usage();
    if (used.children || used.cases) {
      throw new UnitError(`该单位下还有${describeUsage({ ...used, users: 0 })}，不能调整上级单位`, 'parentId', true);
    }
    set.parentId = parent?._id ?? null;
    set.path = [...(parent?.path ?? []), unit._id];
  }
  await units.updateOne({ _id: id }, { $set: set });
  return { ...unit, ...set };
}

export async function deleteUnit(units: Collections['units'], id: string, usage: () => Promise<UnitUsage>): Promise<UnitDoc> {
  const unit = await units.findOne({ _id: id });
  if (!unit) throw new UnitError('单位不存在', null);
  const used = await usage();
  if (used.children || used.users || used.running) {
    throw new UnitError(`该单位下还有${describeUsage({ ...used, cases: 0 })}，不能删除`, null, true);
  }
  await units.deleteOne({ _id: id });
  return unit;
}

export function describeUsage(used: UnitUsage): string {
  return [
    used.children ? `${used.children} 个下级单位` : '',
    used.users ? `${used.users} 个用户` : '',
    used.running ? `${used.running} 个运行中的流程实例` : '',
    used.cases ? `${used.cases} 个流程实例` : '',
  ]
    .filter(Boolean)
    .join('、');
}
