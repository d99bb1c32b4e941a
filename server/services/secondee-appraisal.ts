import { RuleViolation, type ServiceHandler } from './types.js';

/**
 * P7 下沉人员年度考核 (processes/secondee-appraisal.bpmn, docs/processes/secondee-appraisal.md).
 *
 * Source: 《社会治理活动方案》篇四 第10–12项 (seed 001). The annual appraisal of a seconded staff member is exercised
 * jointly by the home department (主管部门) and the community party committee (社区党委); the committee's weight is
 * **at least 70%** for the 社区综合整治 and 治安消防 teams and **at least 50%** for the 综合巡查、安监、环水、交通、交警、
 * 市场监管 teams (第11项). Those two floors are the document's own numbers and are constants here (and in the
 * diagram's form rules), never settings. The weight actually used (at or above the floor) is set on the start form.
 *
 * Arithmetic is exact: scores are read as tenths of a point (one decimal at most), weights as whole percents, the
 * combined score is computed in thousandths of a point on integers and rounded half up to two decimals (practice:
 * 四舍五入保留两位小数), so no floating-point product decides a result (80.1 × 25% + 90 × 75% = 87.525 → 87.53).
 */

const DOC = '《社会治理活动方案》篇四';
export const SOURCE_WEIGHT = `${DOC} 第11项（完善下沉人员考核激励机制）`;
export const SOURCE_FILING = `${DOC} 第11项（考核结果公示前应报区组织人事部门备案）`;
export const SOURCE_VETO = `${DOC} 第12项（提升下沉人员工作效能：一票否决）`;
export const SOURCE_MANAGEMENT = `${DOC} 第10项（理顺下沉人员管理体制）`;
export const SOURCE_ROUNDING = '实践规则（考核综合得分四舍五入保留两位小数）';

/** 社区综合整治、治安消防队伍，社区党委考核比重不低于70% (第11项). */
export const COMMITTEE_WEIGHT_FLOOR_HIGH = 70;
/** 综合巡查、安监、环水、交通、交警、市场监管队伍，社区党委考核比重不低于50% (第11项). */
export const COMMITTEE_WEIGHT_FLOOR_LOW = 50;

export interface Team {
  id: string;
  name: string;
  /** The committee's minimum weight in percent (第11项). */
  floor: number;
  /** Who leads the daily management (第10项). */
  dailyManager: string;
}

/** The “1+1+6” teams seconded to the communities (第9项), with the weight floor of 第11项 and the manager of 第10项. */
export const TEAMS: readonly Team[] = Object.freeze([
  { id: 'rectification', name: '社区综合整治队伍', floor: COMMITTEE_WEIGHT_FLOOR_HIGH, dailyManager: '社区党委为主' },
  { id: 'security-fire', name: '社区治安消防队伍', floor: COMMITTEE_WEIGHT_FLOOR_HIGH, dailyManager: '社区党委为主' },
  { id: 'inspection', name: '综合巡查队伍', floor: COMMITTEE_WEIGHT_FLOOR_LOW, dailyManager: '街道为主' },
  { id: 'work-safety', name: '安监队伍', floor: COMMITTEE_WEIGHT_FLOOR_LOW, dailyManager: '街道为主' },
  { id: 'environment-water', name: '环水队伍', floor: COMMITTEE_WEIGHT_FLOOR_LOW, dailyManager: '区主管部门为主' },
  { id: 'transport', name: '交通队伍', floor: COMMITTEE_WEIGHT_FLOOR_LOW, dailyManager: '区主管部门为主' },
  { id: 'traffic-police', name: '交警队伍', floor: COMMITTEE_WEIGHT_FLOOR_LOW, dailyManager: '区主管部门为主' },
  { id: 'market-supervision', name: '市场监管队伍', floor: COMMITTEE_WEIGHT_FLOOR_LOW, dailyManager: '区主管部门为主' },
]);

/**
 * The reasons for which the committee may apply the one-vote veto (第12项): 不服从管理、不配合工作、工作不到位、
 * 专业水平不足或连续年度考核排名靠后. `none` is “no veto”.
 */
export const VETO_REASONS: Readonly<Record<string, string>> = Object.freeze({
  disobedience: '不服从管理',
  'non-cooperation': '不配合工作',
  'poor-performance': '工作不到位',
  'insufficient-skill': '专业水平不足',
  'consecutive-low-ranking': '连续年度考核排名靠后',
});

export function findTeam(value: unknown): Team {
  const text = typeof value === 'string' ? value.trim() : '';
  const team = TEAMS.find((t) => t.id === text || t.name === text);
  if (!team) {
    throw new RuleViolation(`下沉队伍“${text || '未填写'}”不在第11项所列队伍之中（${SOURCE_WEIGHT}）`, SOURCE_WEIGHT);
  }
  return team;
}

/** The committee's weight: a whole percent, at least the team's floor, below 100 (the home department keeps a share). */
export function checkCommitteeWeight(team: Team, value: unknown): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new RuleViolation(`社区党委考核比重（committeeWeight）必须是整数百分比，实际为“${String(value)}”（${SOURCE_WEIGHT}）`, SOURCE_WEIGHT);
  }
  if (n < team.floor) {
    const teams = team.floor === COMMITTEE_WEIGHT_FLOOR_HIGH ? '社区综合整治、治安消防队伍' : '综合巡查、安监、环水、交通、交警、市场监管队伍';
    throw new RuleViolation(
      `${team.name}的社区党委考核比重（committeeWeight）为 ${n}%，低于 ${team.floor}%：${teams}，社区党委考核比重不低于${team.floor}%（${SOURCE_WEIGHT}）`,
      SOURCE_WEIGHT,
    );
  }
  if (n >= 100) {
    throw new RuleViolation(
      `社区党委考核比重（committeeWeight）为 ${n}%：下沉人员年度考核由各主管部门、社区党委共同行使，主管部门的考核比重不能为 0（${SOURCE_WEIGHT}）`,
      SOURCE_WEIGHT,
    );
  }
  return n;
}

/** A score of 0–100 with at most one decimal, as tenths of a point (85.5 → 855). */
export function parseScore(value: unknown, what: string): number {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  const match = /^(\d{1,3})(?:\.(\d))?$/.exec(text);
  const tenths = match ? Number(match[1]) * 10 + (match[2] ? Number(match[2]) : 0) : NaN;
  if (!match || tenths > 1000) {
    throw new RuleViolation(`${what}应为 0 至 100 分、至多一位小数，实际为“${text || '未填写'}”（${SOURCE_WEIGHT}）`, SOURCE_WEIGHT);
  }
  return tenths;
}

/** Tenths of a point as text: 855 → `85.5`, 900 → `90`. */
export function tenthsText(tenths: number): string {
  return `${Math.floor(tenths / 10)}${tenths % 10 ? `.${tenths % 10}` : ''}`;
}

/** Thousandths of a point as exact text without trailing zeros: 20025 → `20.025`, 67500 → `67.5`. */
export function thousandthsText(thousandths: number): string {
  const whole = Math.floor(thousandths / 1000);
  const fraction = String(thousandths % 1000).padStart(3, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** Hundredths as text with exactly two decimals: 8753 → `87.53`, 8990 → `89.90`. */
export function hundredthsText(hundredths: number): string {
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`;
}

export interface WeightSetup {
  teamName: string;
  minCommitteeWeight: number;
  homeWeight: number;
  dailyManager: string;
  weightSummary: string;
}

/** The weights of one secondee's appraisal (第11项), and who leads the daily management (第10项). */
export function setupWeights(teamValue: unknown, weightValue: unknown): WeightSetup {
  const team = findTeam(teamValue);
  const committeeWeight = checkCommitteeWeight(team, weightValue);
  const homeWeight = 100 - committeeWeight;
  return {
    teamName: team.name,
    minCommitteeWeight: team.floor,
    homeWeight,
    dailyManager: team.dailyManager,
    weightSummary: `${team.name}：社区党委考核比重 ${committeeWeight}%（不低于 ${team.floor}%），主管部门考核比重 ${homeWeight}%；日常管理以${team.dailyManager}`,
  };
}

export interface ScoreInput {
  team: unknown;
  committeeWeight: unknown;
  homeScore: unknown;
  committeeScore: unknown;
  vetoReason?: unknown;
  vetoFacts?: unknown;
}

export interface ScoreResult {
  /** The combined score, rounded half up to two decimals (a number; `combinedScoreText` is the exact text). */
  combinedScore: number;
  combinedScoreText: string;
  /** Exact, unrounded: home score × home weight, committee score × committee weight, and their sum. */
  homeWeighted: string;
  committeeWeighted: string;
  combinedExact: string;
  scoreSummary: string;
  vetoed: boolean;
  vetoReasonName: string | null;
  appraisalResult: string;
}

/**
 * Combined score = home score × home weight + committee score × committee weight (第11项), weights in percent
 * summing to 100; computed in thousandths of a point and rounded half up to two decimals (practice). A veto
 * (第12项) is recorded with its reason from the text's list and decides the result whatever the score.
 */
export function computeAppraisal(input: ScoreInput): ScoreResult {
  const team = findTeam(input.team);
  const committeeWeight = checkCommitteeWeight(team, input.committeeWeight);
  const homeWeight = 100 - committeeWeight;
  const home = parseScore(input.homeScore, '主管部门考核评分（homeScore）');
  const committee = parseScore(input.committeeScore, '社区党委考核评分（committeeScore）');
  const homePart = home * homeWeight; // thousandths of a point
  const committeePart = committee * committeeWeight;
  const exact = homePart + committeePart;
  const rounded = Math.floor((exact + 5) / 10); // hundredths, half up
  const combinedScoreText = hundredthsText(rounded);

  const reason = typeof input.vetoReason === 'string' ? input.vetoReason.trim() : '';
  let vetoReasonName: string | null = null;
  if (reason && reason !== 'none') {
    if (!Object.prototype.hasOwnProperty.call(VETO_REASONS, reason)) {
      throw new RuleViolation(
        `一票否决的理由“${reason}”不在第12项所列情形之中（不服从管理、不配合工作、工作不到位、专业水平不足或连续年度考核排名靠后）（${SOURCE_VETO}）`,
        SOURCE_VETO,
      );
    }
    const facts = typeof input.vetoFacts === 'string' ? input.vetoFacts.trim() : '';
    if (!facts) throw new RuleViolation(`实行一票否决须写明事实依据（${SOURCE_VETO}）`, SOURCE_VETO);
    vetoReasonName = VETO_REASONS[reason]!;
  }
  const vetoed = vetoReasonName !== null;
  const scoreSummary =
    `主管部门评分 ${tenthsText(home)} × ${homeWeight}% = ${thousandthsText(homePart)}；` +
    `社区党委评分 ${tenthsText(committee)} × ${committeeWeight}% = ${thousandthsText(committeePart)}；` +
    `合计 ${thousandthsText(exact)}，综合得分 ${combinedScoreText} 分（四舍五入保留两位小数）`;
  return {
    combinedScore: rounded / 100,
    combinedScoreText,
    homeWeighted: thousandthsText(homePart),
    committeeWeighted: thousandthsText(committeePart),
    combinedExact: thousandthsText(exact),
    scoreSummary,
    vetoed,
    vetoReasonName,
    appraisalResult: vetoed
      ? `社区党委实行一票否决（${vetoReasonName}），要求主管部门调整下沉人员；综合得分 ${combinedScoreText} 分`
      : `综合得分 ${combinedScoreText} 分`,
  };
}

/**
 * Topic `secondee-appraisal-setup`. Inputs: team, committeeWeight. Returns teamName, minCommitteeWeight,
 * homeWeight, dailyManager, weightSummary.
 */
export const secondeeAppraisalSetup: ServiceHandler = ({ inputs }) => ({ ...setupWeights(inputs.team, inputs.committeeWeight) });

/**
 * Topic `secondee-appraisal-score`. Inputs: team, committeeWeight, homeScore, committeeScore, vetoReason, vetoFacts.
 * Returns the fields of ScoreResult.
 */
export const secondeeAppraisalScore: ServiceHandler = ({ inputs }) => ({
  ...computeAppraisal({
    team: inputs.team,
    committeeWeight: inputs.committeeWeight,
    homeScore: inputs.homeScore,
    committeeScore: inputs.committeeScore,
    vetoReason: inputs.vetoReason,
    vetoFacts: inputs.vetoFacts,
  }),
});

/** Service-task handlers of the secondee-appraisal process (docs/PROCESSES.md). */
export const secondeeAppraisalHandlers: Record<string, ServiceHandler> = {
  'secondee-appraisal-setup': secondeeAppraisalSetup,
  'secondee-appraisal-score': secondeeAppraisalScore,
};
