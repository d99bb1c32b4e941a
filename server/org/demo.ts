import type { Db } from 'mongodb';
import { collections } from '../db/collections.js';
import type { UnitDoc, UnitKind } from '../db/types.js';
import { GROUPS, groupName } from '../auth/groups.js';
import { verifyPassword } from '../auth/passwords.js';
import { createUser, DEMO_PASSWORD, setUserDisabled } from '../auth/users.js';

/**
 * The demo organisation (development mode only): one city with one district, two streets and three communities,
 * each with its committees and grid worker, and the organisations the processes involve — so that scoping is
 * visible. The users of earlier demos keep their names (one per role, in 幸福社区 and 新华街道 or the unit their
 * role belongs to); the others are named after their community. Every demo password is `demo`.
 */

interface DemoUnit {
  id: string;
  name: string;
  kind: UnitKind;
  parent: string | null;
}

export const DEMO_UNITS: readonly DemoUnit[] = Object.freeze([
  { id: 'demo-city', name: '示范市', kind: 'city', parent: null },
  { id: 'demo-city-dpf', name: '示范市残疾人联合会', kind: 'organization', parent: 'demo-city' },
  { id: 'demo-leading-office', name: '示范市社区建设领导小组办公室', kind: 'organization', parent: 'demo-city' },
  { id: 'demo-experts', name: '示范市评审专家库', kind: 'organization', parent: 'demo-city' },
  { id: 'demo-district', name: '和平区', kind: 'district', parent: 'demo-city' },
  { id: 'demo-district-dpf', name: '和平区残疾人联合会', kind: 'organization', parent: 'demo-district' },
  { id: 'demo-third-party', name: '和平区社会服务评估中心', kind: 'organization', parent: 'demo-district' },
  { id: 'demo-provider', name: '康宁精神卫生服务中心', kind: 'organization', parent: 'demo-district' },
  { id: 'demo-supervision', name: '和平区监察局', kind: 'organization', parent: 'demo-district' },
  { id: 'demo-hr', name: '和平区人力资源和社会保障局', kind: 'organization', parent: 'demo-district' },
  { id: 'demo-home-dept', name: '和平区城市管理局', kind: 'organization', parent: 'demo-district' },
  { id: 'demo-awards', name: '和平区评奖联席会议', kind: 'organization', parent: 'demo-district' },
  { id: 'demo-street-1', name: '新华街道', kind: 'street', parent: 'demo-district' },
  { id: 'demo-community-a', name: '幸福社区', kind: 'community', parent: 'demo-street-1' },
  { id: 'demo-grid-a1', name: '幸福社区第一网格', kind: 'grid', parent: 'demo-community-a' },
  { id: 'demo-community-b', name: '和谐社区', kind: 'community', parent: 'demo-street-1' },
  { id: 'demo-street-2', name: '光明街道', kind: 'street', parent: 'demo-district' },
  { id: 'demo-community-c', name: '光明社区', kind: 'community', parent: 'demo-street-2' },
]);

/** Where the one-per-role demo users of earlier versions belong. */
const ROLE_UNITS: Record<string, string | null> = {
  admin: null,
  'street-office': 'demo-street-1',
  'party-committee': 'demo-community-a',
  'residents-committee': 'demo-community-a',
  'resident-reps': 'demo-community-a',
  'grid-worker': 'demo-community-a',
  county: 'demo-district',
  'leading-office': 'demo-leading-office',
  city: 'demo-city',
  expert: 'demo-experts',
  'city-dpf': 'demo-city-dpf',
  'district-dpf': 'demo-district-dpf',
  provider: 'demo-provider',
  'third-party': 'demo-third-party',
  'grid-office': 'demo-street-1',
  'responsible-unit': 'demo-street-1',
  'rectification-team': 'demo-street-1',
  'home-department': 'demo-home-dept',
  'district-hr': 'demo-hr',
  'awards-conference': 'demo-awards',
  'supervising-bureau': 'demo-supervision',
};

export interface DemoUserSpec {
  username: string;
  displayName: string;
  groups: string[];
  unitId: string | null;
}

const COMMUNITY_ROLES = [
  ['rc', 'residents-committee'],
  ['pc', 'party-committee'],
  ['reps', 'resident-reps'],
  ['grid', 'grid-worker'],
] as const;

/** Every demo user: one per role (named after it), expert1…expert5, and the other communities' and street's people. */
export function demoUserSpecs(): DemoUserSpec[] {
  const specs: DemoUserSpec[] = GROUPS.map((g) => ({
    username: g.id,
    displayName: `${g.name}（演示）`,
    groups: [g.id],
    unitId: ROLE_UNITS[g.id] ?? null,
  }));
  for (let i = 1; i <= 5; i++) {
    specs.push({ username: `expert${i}`, displayName: `${groupName('expert')}${i}（演示）`, groups: ['expert'], unitId: 'demo-experts' });
  }
  for (const [prefix, unitId, unitName] of [
    ['hexie', 'demo-community-b', '和谐社区'],
    ['guangming', 'demo-community-c', '光明社区'],
  ] as const) {
    for (const [suffix, role] of COMMUNITY_ROLES) {
      specs.push({ username: `${prefix}-${suffix}`, displayName: `${unitName}${groupName(role).replace(/^社区/, '')}（演示）`, groups: [role], unitId });
    }
  }
  specs.push({ username: 'guangming-street', displayName: '光明街道办事处（演示）', groups: ['street-office'], unitId: 'demo-street-2' });
  return specs;
}

/** Creates the demo units and users that are missing; what exists is left as it is. Returns the user names created. */
export async function seedDemoOrganisation(db: Db, now = new Date()): Promise<string[]> {
  const { units, users } = collections(db);
  const byId = new Map<string, UnitDoc>();
  for (const unit of DEMO_UNITS) {
    const parent = unit.parent ? byId.get(unit.parent) : undefined;
    const doc: UnitDoc = { _id: unit.id, name: unit.name, kind: unit.kind, parentId: unit.parent, path: [...(parent?.path ?? []), unit.id], createdAt: now, updatedAt: now };
    byId.set(unit.id, doc);
    await units.insertOne(doc).catch((err: { code?: number }) => {
      if (err.code !== 11000) throw err; // already there (an earlier start, or another process at the same moment)
    });
  }
  const created: string[] = [];
  for (const spec of demoUserSpecs()) {
    if (await users.findOne({ _id: spec.username }, { projection: { _id: 1 } })) continue;
    try {
      await createUser(db, { ...spec, password: DEMO_PASSWORD }, { minPasswordLength: 1 });
      created.push(spec.username);
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
  }
  return created;
}

/**
 * Production: demo accounts must not be usable. Any enabled user with a demo name whose password is still `demo`
 * (left from running the same data directory in demo mode) is disabled. Returns the names disabled.
 */
export async function disableDemoUsers(db: Db): Promise<string[]> {
  const users = collections(db).users;
  const names = demoUserSpecs().map((s) => s.username);
  const disabled: string[] = [];
  for (const user of await users.find({ _id: { $in: names }, disabled: false }).toArray()) {
    if (await verifyPassword(DEMO_PASSWORD, user.passwordHash)) {
      await setUserDisabled(db, user._id, true);
      disabled.push(user._id);
    }
  }
  return disabled;
}
