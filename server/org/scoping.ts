import type { UnitDoc } from '../db/types.js';

/**
 * How a diagram's `camunda:candidateGroups` reach the people of the right unit (docs/ARCHITECTURE.md, "Units and
 * scoping"). A task of a case that belongs to a unit is offered to `role@unit` keys:
 * - `residents-committee` means the residents' committee of the task's unit, or of the nearest enclosing unit
 *   that has one — a unit "has" a role when one of its enabled users, or of the organisations attached directly
 *   to it, holds the role (so `district-dpf` from a community reaches the district's 残联);
 * - `city-dpf@<unitId>` names the unit explicitly, where a process crosses levels;
 * - when no enclosing level has the role, the shallowest level under the case's unit that has it (a city's
 *   campaign reaches the districts' offices);
 * - a case of no unit (the whole organisation) keeps the plain role, which every holder of it matches.
 * A user matches the keys of their roles in their own unit and the plain roles (see {@link actorGroupKeys}).
 */

export const UNIT_SEPARATOR = '@';

/** The organisation as one consistent picture: units and which roles their enabled users hold. */
export class OrgSnapshot {
  private readonly byId: Map<string, UnitDoc>;
  private readonly children = new Map<string, UnitDoc[]>();

  constructor(
    readonly units: readonly UnitDoc[],
    private readonly roles: ReadonlyMap<string, ReadonlySet<string>>,
    /** Enabled users by candidate-group key (`role@unit`, and the plain role for all its holders). */
    private readonly members: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {
    this.byId = new Map(units.map((u) => [u._id, u]));
    for (const unit of units) {
      if (!unit.parentId) continue;
      const list = this.children.get(unit.parentId) ?? [];
      list.push(unit);
      this.children.set(unit.parentId, list);
    }
  }

  unit(id: string | null | undefined): UnitDoc | undefined {
    return id ? this.byId.get(id) : undefined;
  }

  childrenOf(id: string | null): UnitDoc[] {
    return id ? (this.children.get(id) ?? []) : this.units.filter((u) => !u.parentId);
  }

  /** The unit and its ancestors, root first; empty for an unknown unit. */
  path(id: string | null | undefined): string[] {
    return this.unit(id)?.path ?? [];
  }

  /** Whether `id` is `ancestorId` or lies under it. */
  isWithin(id: string | null | undefined, ancestorId: string): boolean {
    return this.path(id).includes(ancestorId);
  }

  /** The unit and everything under it, in tree order. */
  subtree(id: string): UnitDoc[] {
    const root = this.unit(id);
    if (!root) return [];
    const out: UnitDoc[] = [];
    const walk = (u: UnitDoc) => {
      out.push(u);
      for (const child of this.children.get(u._id) ?? []) walk(child);
    };
    walk(root);
    return out;
  }

  /** 幸福社区（新华街道）: a unit's name with its parent's, so that two 幸福社区 of different streets differ. */
  label(id: string | null | undefined): string {
    const unit = this.unit(id);
    if (!unit) return id ?? '';
    const parent = this.unit(unit.parentId);
    return parent ? `${unit.name}（${parent.name}）` : unit.name;
  }

  /**
   * The unit a task waits in: the unit its sub-process iteration is about when that names exactly one unit under the
   * case's unit (a P1 track's community, by name or id), else the case's unit.
   */
  taskUnit(caseUnit: string | null, subject: unknown): string | null {
    if (!caseUnit || typeof subject !== 'string' || !subject.trim()) return caseUnit;
    const wanted = subject.trim();
    const matches = this.subtree(caseUnit).filter((u) => u._id !== caseUnit && (u._id === wanted || u.name === wanted));
    return matches.length === 1 ? matches[0]!._id : caseUnit;
  }

  /** The candidate-group keys of a task waiting in `unitId` whose diagram names `roles` (see the module comment). */
  candidateGroups(roles: readonly string[], unitId: string | null): string[] {
    if (!unitId || !this.unit(unitId)) return [...roles];
    const out: string[] = [];
    for (const role of roles) {
      if (role.includes(UNIT_SEPARATOR)) out.push(role);
      else out.push(...this.holders(role, unitId).map((u) => `${role}${UNIT_SEPARATOR}${u}`));
    }
    return [...new Set(out)];
  }

  /**
   * The units of the nearest level that hold `role`: from `unitId` up (each level with its attached organisations),
   * else the shallowest level under it (a city's campaign reaches its districts); `unitId` itself when none does.
   */
  private holders(role: string, unitId: string): string[] {
    const holds = (u: string) => this.roles.get(u)?.has(role) ?? false;
    const path = this.path(unitId);
    for (let i = path.length - 1; i >= 0; i--) {
      const level = path[i]!;
      const candidates = [level, ...(this.children.get(level) ?? []).filter((c) => c.kind === 'organization').map((c) => c._id)];
      const found = candidates.filter(holds);
      if (found.length) return found;
    }
    let level = this.children.get(unitId) ?? [];
    while (level.length) {
      const found = level.filter((u) => holds(u._id)).map((u) => u._id);
      if (found.length) return found;
      level = level.flatMap((u) => this.children.get(u._id) ?? []);
    }
    return [unitId];
  }

  /** The enabled users a candidate-group key reaches: `role@unit` its holders in that unit, a plain role all holders. */
  membersOf(key: string): readonly string[] {
    return this.members.get(key) ?? [];
  }

  /** The unit a user acts for by default: their own, or for an organisation the territorial unit it is attached to. */
  homeUnit(id: string | null | undefined): string | null {
    let unit = this.unit(id);
    if (!unit) return null;
    while (unit.kind === 'organization' && unit.parentId && this.unit(unit.parentId)) unit = this.unit(unit.parentId)!;
    return unit._id;
  }

  /** A candidate-group key as people read it: 幸福社区居民委员会, 新华街道办事处, 新华街道·网格管理办公室. */
  groupLabel(key: string, roleName: (role: string) => string): string {
    const at = key.indexOf(UNIT_SEPARATOR);
    if (at < 0) return roleName(key);
    const role = roleName(key.slice(0, at));
    const unit = this.unit(key.slice(at + 1))?.name ?? key.slice(at + 1);
    return unitRoleLabel(unit, role);
  }
}

/** The candidate-group keys a user matches: each role plain and in their unit. */
export function actorGroupKeys(actor: { groups: readonly string[]; unitId?: string | null }): string[] {
  if (!actor.unitId) return [...actor.groups];
  return [...actor.groups, ...actor.groups.map((g) => `${g}${UNIT_SEPARATOR}${actor.unitId}`)];
}

/** The role part of a candidate-group key. */
export function roleOf(key: string): string {
  const at = key.indexOf(UNIT_SEPARATOR);
  return at < 0 ? key : key.slice(0, at);
}

/** A unit's name and a role's, without saying the level twice (幸福社区 + 社区居民委员会 → 幸福社区居民委员会). */
export function unitRoleLabel(unit: string, role: string): string {
  if (unit.endsWith(role)) return unit;
  for (const level of ['社区', '街道', '市', '区']) {
    if (unit.endsWith(level) && role.startsWith(level)) return unit + role.slice(level.length);
  }
  return `${unit}·${role}`;
}
