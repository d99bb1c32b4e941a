/**
 * The candidate groups user tasks name in `camunda:candidateGroups`, with their Chinese display names.
 * Served by `GET /api/groups` (the modeler offers them) and used to seed the demo users.
 */
export interface Group {
  id: string;
  name: string;
}

export const ADMIN_GROUP = 'admin';

export const GROUPS: readonly Group[] = Object.freeze([
  { id: 'admin', name: '系统管理员' },
  { id: 'street-office', name: '街道办事处' },
  { id: 'party-committee', name: '社区党组织' },
  { id: 'residents-committee', name: '社区居民委员会' },
  { id: 'resident-reps', name: '居民代表' },
  { id: 'county', name: '县（区）级主管部门' },
  { id: 'leading-office', name: '领导小组办公室' },
  { id: 'city', name: '市级主管部门' },
  { id: 'expert', name: '评审专家' },
  { id: 'city-dpf', name: '市残疾人联合会' },
  { id: 'district-dpf', name: '区残疾人联合会' },
  { id: 'provider', name: '服务机构' },
  { id: 'third-party', name: '第三方评估机构' },
  { id: 'grid-worker', name: '网格员' },
  { id: 'grid-office', name: '网格管理办公室' },
  { id: 'responsible-unit', name: '责任单位' },
  { id: 'rectification-team', name: '综合整治队' },
  { id: 'home-department', name: '下沉人员派出部门' },
  { id: 'district-hr', name: '区人力资源部门' },
  { id: 'awards-conference', name: '评奖联席会议' },
  { id: 'supervising-bureau', name: '监督主管部门' },
]);

const byId = new Map(GROUPS.map((g) => [g.id, g]));

export function isKnownGroup(id: string): boolean {
  return byId.has(id);
}

/** The Chinese name of a group, or the id itself for a group this list does not know. */
export function groupName(id: string): string {
  return byId.get(id)?.name ?? id;
}
