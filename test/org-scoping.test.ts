import { describe, expect, it } from '@jest/globals';
import type { UnitDoc, UnitKind } from '../server/db/types.js';
import { actorGroupKeys, OrgSnapshot, unitRoleLabel } from '../server/org/scoping.js';

// How a diagram's candidate groups reach the people of a case's unit (server/org/scoping.ts), on a small tree:
// 市 ─ 市残联 (org), 区 ─ 区残联 (org), 区 ─ 街道 ─ 社区A ─ 网格, 街道 ─ 社区B; another 区2 ─ 街道2 ─ 社区C.

const now = new Date('2026-03-01T00:00:00Z');
const units: UnitDoc[] = [];
function unit(id: string, name: string, kind: UnitKind, parent: string | null): void {
  const parentDoc = units.find((u) => u._id === parent);
  units.push({ _id: id, name, kind, parentId: parent, path: [...(parentDoc?.path ?? []), id], createdAt: now, updatedAt: now });
}
unit('city', '示范市', 'city', null);
unit('city-dpf', '示范市残疾人联合会', 'organization', 'city');
unit('district', '和平区', 'district', 'city');
unit('district-dpf', '和平区残疾人联合会', 'organization', 'district');
unit('street', '新华街道', 'street', 'district');
unit('a', '幸福社区', 'community', 'street');
unit('grid-a', '幸福社区第一网格', 'grid', 'a');
unit('b', '和谐社区', 'community', 'street');
unit('district2', '东城区', 'district', 'city');
unit('street2', '光明街道', 'street', 'district2');
unit('c', '光明社区', 'community', 'street2');

const roles = new Map<string, Set<string>>([
  ['city-dpf', new Set(['city-dpf'])],
  ['district', new Set(['county'])],
  ['district2', new Set(['county'])],
  ['district-dpf', new Set(['district-dpf'])],
  ['street', new Set(['street-office', 'grid-office'])],
  ['a', new Set(['residents-committee', 'party-committee'])],
  ['b', new Set(['residents-committee'])],
  ['c', new Set(['residents-committee'])],
  ['grid-a', new Set(['grid-worker'])],
]);
const org = new OrgSnapshot(units, roles);

describe('candidate groups of a case', () => {
  it("mean the role in the task's own unit when it has it", () => {
    expect(org.candidateGroups(['residents-committee', 'party-committee'], 'a')).toEqual(['residents-committee@a', 'party-committee@a']);
  });

  it('else in the nearest enclosing unit, counting the organisations attached to each level', () => {
    expect(org.candidateGroups(['street-office'], 'a')).toEqual(['street-office@street']);
    expect(org.candidateGroups(['grid-office'], 'grid-a')).toEqual(['grid-office@street']);
    expect(org.candidateGroups(['district-dpf'], 'a')).toEqual(['district-dpf@district-dpf']);
    expect(org.candidateGroups(['city-dpf'], 'district')).toEqual(['city-dpf@city-dpf']);
  });

  it('else the shallowest units under the case that have it (a city campaign reaches every district)', () => {
    expect(org.candidateGroups(['county'], 'city')).toEqual(['county@district', 'county@district2']);
    expect(org.candidateGroups(['residents-committee'], 'street')).toEqual(['residents-committee@a', 'residents-committee@b']);
    expect(org.candidateGroups(['grid-worker'], 'street')).toEqual(['grid-worker@grid-a']);
  });

  it('never a sibling: 社区B has no party committee, and 社区A\'s is not offered its cases', () => {
    expect(org.candidateGroups(['party-committee'], 'b')).toEqual(['party-committee@b']);
  });

  it('keep an explicit unit, and the plain role for a case of no unit', () => {
    expect(org.candidateGroups(['city-dpf@city-dpf', 'county'], 'a')).toEqual(['city-dpf@city-dpf', 'county@district']);
    expect(org.candidateGroups(['residents-committee'], null)).toEqual(['residents-committee']);
    expect(org.candidateGroups(['residents-committee'], 'gone')).toEqual(['residents-committee']);
  });

  it('are matched by the roles a user holds in their own unit', () => {
    expect(actorGroupKeys({ groups: ['residents-committee'], unitId: 'a' })).toEqual(['residents-committee', 'residents-committee@a']);
    expect(actorGroupKeys({ groups: ['admin'], unitId: null })).toEqual(['admin']);
  });
});

describe('units of a case', () => {
  it("a track's subject names the unit its tasks wait in, when exactly one unit under the case has that name or id", () => {
    expect(org.taskUnit('city', '幸福社区')).toBe('a');
    expect(org.taskUnit('city', 'c')).toBe('c');
    expect(org.taskUnit('street2', '幸福社区')).toBe('street2');
    expect(org.taskUnit('city', '不存在的社区')).toBe('city');
    expect(org.taskUnit(null, '幸福社区')).toBeNull();
  });

  it('an organisation acts for the unit it is attached to; paths and subtrees', () => {
    expect(org.homeUnit('district-dpf')).toBe('district');
    expect(org.homeUnit('a')).toBe('a');
    expect(org.path('grid-a')).toEqual(['city', 'district', 'street', 'a', 'grid-a']);
    expect(org.isWithin('grid-a', 'street')).toBe(true);
    expect(org.isWithin('c', 'street')).toBe(false);
    expect(org.subtree('street').map((u) => u._id)).toEqual(['street', 'a', 'grid-a', 'b']);
  });
});

describe('labels', () => {
  it('say the level once', () => {
    expect(unitRoleLabel('幸福社区', '社区居民委员会')).toBe('幸福社区居民委员会');
    expect(unitRoleLabel('新华街道', '街道办事处')).toBe('新华街道办事处');
    expect(unitRoleLabel('和平区残疾人联合会', '区残疾人联合会')).toBe('和平区残疾人联合会');
    expect(unitRoleLabel('新华街道', '网格管理办公室')).toBe('新华街道·网格管理办公室');
    const name = (role: string) => ({ 'residents-committee': '社区居民委员会' })[role] ?? role;
    expect(org.groupLabel('residents-committee@b', name)).toBe('和谐社区居民委员会');
    expect(org.groupLabel('residents-committee', name)).toBe('社区居民委员会');
  });
});
