import { RuleViolation, type ServiceHandler } from './types.js';

/**
 * P8 年度评奖: the district's annual 社会事业发展奖 (优秀奖 / 先进奖) and 社会治理创新奖 — who wins by which ranking, the
 * award money and the heads' share of it, the one-vote veto and the recovery of awards that rest on falsified data.
 *
 * Source: 《社会治理活动方案》篇七 (seed 001). Every amount below is the document's own and carries its clause; none
 * is a setting. Amounts are whole yuan and computed exactly (integers only).
 *
 * Readings of the text that the code follows (docs/processes/annual-awards.md):
 * - A rank is the unit's position in the assessment (考核位次), counted over every unit of its group. A vetoed unit
 *   keeps its position and loses the award; 篇七 四(二) cancels the unit's eligibility and says nothing of moving the
 *   next units up, so the award it would have had stays vacant (空缺).
 * - 区直社会事业部门、单位 need both conditions of 三(一): 城区第一 in the city's assessment of the targets it carries,
 *   and the 1st–2nd (优秀奖) or 3rd–4th (先进奖) place by score among the departments in the district assessment.
 * - Equal scores share a place (并列): practice, the text does not treat ties.
 * - 5% of each award goes to the unit's party and government heads (其中…给予党政主要负责人5%的奖励): the heads'
 *   share is part of the award, the unit keeps the other 95%.
 */

const DOC = '《社会治理活动方案》篇七';
export const SOURCE_SUBJECTS = `${DOC} 一`;
export const SOURCE_DEVELOPMENT = `${DOC} 三(一)`;
export const SOURCE_INNOVATION = `${DOC} 三(二)`;
export const SOURCE_VETO = `${DOC} 四(二)`;
export const SOURCE_SUPERVISION = `${DOC} 四(三)`;
export const SOURCE_TIES = '实践规则（篇七未规定同分情形：得分相同的名次并列）';

/** “x年度社会事业发展优秀奖”…区财政一次性各奖励人民币10万元 (三(一)). */
export const EXCELLENT_AWARD = 100_000;
/** “x年度社会事业发展先进奖”…区财政一次性各奖励人民币6万元 (三(一)). */
export const ADVANCED_AWARD = 60_000;
/** “x年度社会治理创新奖”…区财政一次性奖励人民币5万元 (三(二)). */
export const INNOVATION_AWARD = 50_000;
/** 其中分别给予党政主要负责人5%的奖励 (三(一), 三(二)). */
export const HEADS_PERCENT = 5;
/** 社会事业发展优秀奖: 街镇第1名, 单独考核组第1名; 区直部门前2名 (三(一)). */
export const DEPARTMENT_EXCELLENT_MAX_RANK = 2;
/** 社会事业发展先进奖: 区直部门第3、第4名 (三(一)). */
export const DEPARTMENT_ADVANCED_MAX_RANK = 4;

/** 被“一票否决”即取消所有奖项评选资格的 5 项工作 (四(二)). */
export const VETO_AREAS: readonly string[] = Object.freeze([
  '人口和计划生育',
  '社会治安综合治理',
  '环境保护和节能减排',
  '安全生产和重大安全生产事故风险',
  '党风廉政建设',
]);

export type AwardKind = 'excellent' | 'advanced' | 'innovation';
export type UnitGroup = 'town' | 'separate' | 'department';

const GROUP_NAMES: Record<UnitGroup, string> = {
  town: '街镇',
  separate: '单独考核组（优秀等次）',
  department: '区直社会事业部门、单位',
};

const AWARD_NAMES: Record<AwardKind, string> = {
  excellent: '社会事业发展优秀奖',
  advanced: '社会事业发展先进奖',
  innovation: '社会治理创新奖',
};

const AWARD_AMOUNTS: Record<AwardKind, number> = {
  excellent: EXCELLENT_AWARD,
  advanced: ADVANCED_AWARD,
  innovation: INNOVATION_AWARD,
};

export interface AwardShares {
  amount: number;
  /** 党政主要负责人奖励: 5% of the award. */
  headsShare: number;
  /** What the unit keeps: the award less the heads' share. */
  unitShare: number;
}

/** 5% of an award to the heads, exactly (an award that does not divide into whole yuan is refused, none does). */
export function splitAward(amount: number): AwardShares {
  if (!Number.isSafeInteger(amount) || amount < 0 || (amount * HEADS_PERCENT) % 100 !== 0) {
    throw new RuleViolation(`奖金 ${amount} 元的 ${HEADS_PERCENT}% 不是整元数（${SOURCE_DEVELOPMENT}）`, SOURCE_DEVELOPMENT);
  }
  const headsShare = (amount * HEADS_PERCENT) / 100;
  return { amount, headsShare, unitShare: amount - headsShare };
}

/** 100000 → `100,000`. */
export function money(n: number): string {
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function lines(text: unknown, what: string, source: string): string[] {
  if (text === null || text === undefined || text === '') return [];
  if (typeof text !== 'string') throw new RuleViolation(`${what}格式不正确，应为每行一项（${source}）`, source);
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

export interface ScoreLine {
  name: string;
  score: number;
}

/** `单位名称：得分` per line (full- or half-width colon, decimals allowed, an optional 分); a unit only once. */
export function parseScores(text: unknown, what: string, source: string): ScoreLine[] {
  const out: ScoreLine[] = [];
  for (const line of lines(text, what, source)) {
    const match = /^(.+?)\s*[:：]\s*(\d+(?:\.\d+)?)\s*分?$/.exec(line);
    if (!match) throw new RuleViolation(`${what}“${line}”格式不正确，应为“单位名称：得分”（${source}）`, source);
    const name = match[1]!.trim();
    if (out.some((row) => row.name === name)) throw new RuleViolation(`${what}中“${name}”出现了两次（${source}）`, source);
    out.push({ name, score: Number(match[2]) });
  }
  return out;
}

/** One unit name per line; a name only once. */
export function parseNames(text: unknown, what: string, source: string): string[] {
  const out: string[] = [];
  for (const line of lines(text, what, source)) {
    if (/[:：]/.test(line)) throw new RuleViolation(`${what}“${line}”格式不正确，每行只填写一个单位名称（${source}）`, source);
    if (!out.includes(line)) out.push(line);
  }
  return out;
}

export interface NoteLine {
  name: string;
  note: string;
}

/** `单位名称：说明` per line; a unit only once. */
export function parseNotes(text: unknown, what: string, source: string): NoteLine[] {
  const out: NoteLine[] = [];
  for (const line of lines(text, what, source)) {
    const match = /^(.+?)\s*[:：]\s*(.*)$/.exec(line);
    const name = match ? match[1]!.trim() : '';
    const note = match ? match[2]!.trim() : '';
    if (!name || !note) throw new RuleViolation(`${what}“${line}”格式不正确，应为“单位名称：说明”（${source}）`, source);
    if (out.some((row) => row.name === name)) throw new RuleViolation(`${what}中“${name}”出现了两次（${source}）`, source);
    out.push({ name, note });
  }
  return out;
}

/** The five areas of 四(二), by full name or by the short name `安全生产`. */
export function vetoArea(text: string): string {
  const value = text.trim();
  const found = VETO_AREAS.find((area) => area === value) ?? (value === '安全生产' ? VETO_AREAS[3] : undefined);
  if (!found) {
    throw new RuleViolation(
      `“${value}”不是可“一票否决”的 5 项工作之一（人口和计划生育、社会治安综合治理、环境保护和节能减排、安全生产和重大安全生产事故风险、党风廉政建设）（${SOURCE_VETO}）`,
      SOURCE_VETO,
    );
  }
  return found;
}

/** `单位名称：被否决的工作` per line → unit → the areas it was vetoed in. */
export function parseVetoes(text: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of lines(text, '一票否决情况', SOURCE_VETO)) {
    const match = /^(.+?)\s*[:：]\s*(.+)$/.exec(line);
    if (!match) throw new RuleViolation(`一票否决情况“${line}”格式不正确，应为“单位名称：被否决的工作”（${SOURCE_VETO}）`, SOURCE_VETO);
    const name = match[1]!.trim();
    const area = vetoArea(match[2]!);
    const areas = out.get(name) ?? [];
    if (!areas.includes(area)) areas.push(area);
    out.set(name, areas);
  }
  return out;
}

export interface RankedUnit extends ScoreLine {
  rank: number;
}

/** Best score first; equal scores share a place and the next place is skipped (1, 1, 3: practice, 并列). */
export function rankByScore(rows: readonly ScoreLine[]): RankedUnit[] {
  const sorted = [...rows].sort((a, b) => b.score - a.score || a.name.localeCompare(b.name, 'zh-CN'));
  return sorted.map((row) => ({ ...row, rank: 1 + sorted.filter((other) => other.score > row.score).length }));
}

export interface Award extends AwardShares {
  /** 1, 2, … in the order of the award list. */
  no: number;
  unit: string;
  kind: AwardKind;
  /** `2025年度社会事业发展优秀奖`. */
  award: string;
  /** Why the unit wins it, with the clause. */
  basis: string;
}

interface Candidate {
  unit: string;
  kind: AwardKind;
  basis: string;
}

export interface AwardsInput {
  awardYear: unknown;
  townScores: unknown;
  separateGroupScores?: unknown;
  departmentScores?: unknown;
  cityFirstUnits?: unknown;
  vetoList?: unknown;
  falsifiedBeforeAward?: unknown;
  municipalPrizeUnits?: unknown;
  directAwardConfirmed?: unknown;
  innovationAwardees?: unknown;
}

function year(value: unknown): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 2000 || n > 2100) {
    throw new RuleViolation(`评奖年度“${String(value)}”无效（${SOURCE_DEVELOPMENT}）`, SOURCE_DEVELOPMENT);
  }
  return n;
}

function awardLine(a: Award): string {
  return `${a.no}. ${a.unit}　${a.award}　${money(a.amount)} 元（其中党政主要负责人 ${money(a.headsShare)} 元，单位 ${money(a.unitShare)} 元）——${a.basis}`;
}

/**
 * The award list of one year (三(一)(二), 四(二)(三)).
 *
 * 社会事业发展优秀奖 (100,000 each): the 街镇 ranked 1st by its 社会事业发展目标评价得分; the unit of the 单独考核组
 * with the highest converted score among those graded 优秀; each 区直社会事业部门、单位 that ranks 城区第一 in the city's
 * assessment and 1st–2nd by score in the district's. 社会事业发展先进奖 (60,000 each): the 街镇 ranked 2nd; the
 * 单独考核组 unit ranked 2nd; each department with 城区第一 and 3rd–4th place. 社会治理创新奖 (50,000 each): the
 * applicants holding a 市政府工作创新奖社会事业类项目, when the conference determines them directly, and the units it
 * finds meet the criteria (they must rank 城区第一 and have a place in the district assessment). 5% of each award to
 * the heads. A unit vetoed in one of the five areas, or found before the award to have falsified its data, gets none
 * of its awards; no other unit takes its place.
 */
export function computeAwards(input: AwardsInput) {
  const awardYear = year(input.awardYear);
  const towns = parseScores(input.townScores, '街镇社会事业发展目标评价得分', SOURCE_DEVELOPMENT);
  if (towns.length === 0) {
    throw new RuleViolation(`没有街镇的社会事业发展目标评价得分，无法确定名次（${SOURCE_DEVELOPMENT}）`, SOURCE_DEVELOPMENT);
  }
  const separate = parseScores(input.separateGroupScores, '单独考核组优秀等次单位折算分值', SOURCE_DEVELOPMENT);
  const departments = parseScores(input.departmentScores, '区直社会事业部门、单位考核得分', SOURCE_DEVELOPMENT);
  const groupOf = new Map<string, UnitGroup>();
  for (const [group, rows] of [['town', towns], ['separate', separate], ['department', departments]] as const) {
    for (const row of rows) {
      const other = groupOf.get(row.name);
      if (other) {
        throw new RuleViolation(
          `“${row.name}”同时列在${GROUP_NAMES[other]}和${GROUP_NAMES[group]}中；每个考核对象只属于一个考核组（${SOURCE_SUBJECTS}）`,
          SOURCE_SUBJECTS,
        );
      }
      groupOf.set(row.name, group);
    }
  }
  const cityFirst = new Set(parseNames(input.cityFirstUnits, '市级考核名次城区第一的单位', SOURCE_DEVELOPMENT));
  const vetoes = parseVetoes(input.vetoList);
  const falsified = new Map(parseNotes(input.falsifiedBeforeAward, '发现弄虚作假的单位', SOURCE_SUPERVISION).map((r) => [r.name, r.note]));
  const municipal = parseNotes(input.municipalPrizeUnits, '获市政府工作创新奖社会事业类项目的申报单位', SOURCE_INNOVATION);
  const reviewed = parseNotes(input.innovationAwardees, '评定的社会治理创新奖单位', SOURCE_INNOVATION);
  const direct = input.directAwardConfirmed === true;

  const candidates: Candidate[] = [];
  const rankingLines: string[] = [];
  const pointPlace = (group: UnitGroup, rows: ScoreLine[], label: string) => {
    const ranked = rankByScore(rows);
    if (ranked.length) {
      rankingLines.push(`${GROUP_NAMES[group]}（${label}）：${ranked.map((r) => `第 ${r.rank} 名 ${r.name} ${r.score} 分`).join('；')}`);
    }
    return ranked;
  };

  for (const t of pointPlace('town', towns, '社会事业发展目标评价得分')) {
    if (t.rank === 1) candidates.push({ unit: t.name, kind: 'excellent', basis: `街镇社会事业发展目标评价得分第 1 名（${t.score} 分）（${SOURCE_DEVELOPMENT}）` });
    if (t.rank === 2) candidates.push({ unit: t.name, kind: 'advanced', basis: `街镇社会事业发展目标评价得分第 2 名（${t.score} 分）（${SOURCE_DEVELOPMENT}）` });
  }
  for (const s of pointPlace('separate', separate, '社会事业发展目标评价得分折算分值')) {
    if (s.rank === 1) candidates.push({ unit: s.name, kind: 'excellent', basis: `单独考核组优秀等次中折算分值最高（${s.score} 分）（${SOURCE_DEVELOPMENT}）` });
    if (s.rank === 2) candidates.push({ unit: s.name, kind: 'advanced', basis: `单独考核组优秀等次中折算分值排名第 2（${s.score} 分）（${SOURCE_DEVELOPMENT}）` });
  }
  for (const dep of pointPlace('department', departments, '全区年度经济社会发展目标考核得分')) {
    if (!cityFirst.has(dep.name) || dep.rank > DEPARTMENT_ADVANCED_MAX_RANK) continue;
    const kind: AwardKind = dep.rank <= DEPARTMENT_EXCELLENT_MAX_RANK ? 'excellent' : 'advanced';
    candidates.push({
      unit: dep.name,
      kind,
      basis: `市政府下达的社会发展目标所承担项目考核名次城区第一，全区考核得分第 ${dep.rank} 名（${dep.score} 分）（${SOURCE_DEVELOPMENT}）`,
    });
  }
  if (direct) {
    for (const m of municipal) {
      candidates.push({ unit: m.name, kind: 'innovation', basis: `获市政府工作创新奖社会事业类项目（${m.note}），直接确定（${SOURCE_INNOVATION}）` });
    }
  }
  for (const r of reviewed) {
    if (candidates.some((c) => c.kind === 'innovation' && c.unit === r.name)) continue;
    if (!cityFirst.has(r.name)) {
      throw new RuleViolation(
        `“${r.name}”所承担的市政府下达社会发展目标项目考核名次不是城区第一，不能评定为社会治理创新奖（获市政府工作创新奖社会事业类项目的申报单位除外）（${SOURCE_INNOVATION}）`,
        SOURCE_INNOVATION,
      );
    }
    if (!groupOf.has(r.name)) {
      throw new RuleViolation(`“${r.name}”没有全区年度经济社会发展目标考核位次，不能评定为社会治理创新奖（${SOURCE_INNOVATION}）`, SOURCE_INNOVATION);
    }
    candidates.push({ unit: r.name, kind: 'innovation', basis: `联席会议评定：${r.note}（${SOURCE_INNOVATION}）` });
  }

  const awards: Award[] = [];
  const excludedLines: string[] = [];
  const excludedUnits: string[] = [];
  const exclusionOf = (unit: string): string | null => {
    const areas = vetoes.get(unit);
    if (areas) return `${areas.join('、')}工作被“一票否决”，取消所有奖项评选资格（${SOURCE_VETO}）`;
    const note = falsified.get(unit);
    if (note !== undefined) return `考核中发现弄虚作假（${note}），所有奖项不予授予（${SOURCE_SUPERVISION}）`;
    return null;
  };
  for (const c of candidates) {
    const award = `${awardYear}年度${AWARD_NAMES[c.kind]}`;
    const excluded = exclusionOf(c.unit);
    if (excluded) {
      if (!excludedUnits.includes(c.unit)) excludedUnits.push(c.unit);
      excludedLines.push(`${c.unit}：本应获${award}（${c.basis.replace(/（《[^）]*）$/, '')}），${excluded}；名次不递补，该奖项空缺`);
      continue;
    }
    awards.push({ no: awards.length + 1, unit: c.unit, kind: c.kind, award, basis: c.basis, ...splitAward(AWARD_AMOUNTS[c.kind]) });
  }
  for (const [unit, areas] of vetoes) {
    if (!excludedUnits.includes(unit)) {
      excludedUnits.push(unit);
      excludedLines.push(`${unit}：${areas.join('、')}工作被“一票否决”，取消所有奖项评选资格（${SOURCE_VETO}）`);
    }
  }
  for (const [unit, note] of falsified) {
    if (!excludedUnits.includes(unit)) {
      excludedUnits.push(unit);
      excludedLines.push(`${unit}：考核中发现弄虚作假（${note}），所有奖项不予授予（${SOURCE_SUPERVISION}）`);
    }
  }

  const sum = (pick: (a: Award) => number) => awards.reduce((total, a) => total + pick(a), 0);
  const awardedUnits = [...new Set(awards.map((a) => a.unit))];
  return {
    awards,
    awardCount: awards.length,
    awardedUnits,
    awardTotal: sum((a) => a.amount),
    headsShareTotal: sum((a) => a.headsShare),
    unitShareTotal: sum((a) => a.unitShare),
    awardListText: awards.length ? awards.map(awardLine).join('\n') : '（本年度无获奖单位）',
    rankingText: rankingLines.join('\n'),
    excludedUnits,
    excludedText: excludedLines.length ? excludedLines.join('\n') : '（无）',
    // Nothing is recovered before the awards are granted.
    recoveries: [],
    recoveredUnits: [],
    recoveryTotal: 0,
    recoveryText: '（无）',
  };
}

export interface Recovery extends AwardShares {
  unit: string;
  award: string;
  reason: string;
}

/**
 * 四(三): an awarded unit found to have falsified data loses every award it was given (追回所有奖项): the medals and
 * the whole of each award's money, the heads' 5% included. A unit is recovered from once.
 */
export function recoverAwards(input: { awards: unknown; falsifiedUnits: unknown; recoveries?: unknown; awardTotal?: unknown }) {
  const awards = (Array.isArray(input.awards) ? input.awards : []) as Award[];
  const earlier = (Array.isArray(input.recoveries) ? input.recoveries : []) as Recovery[];
  const found = parseNotes(input.falsifiedUnits, '发现弄虚作假的获奖单位', SOURCE_SUPERVISION);
  if (found.length === 0) throw new RuleViolation(`没有填写发现弄虚作假的获奖单位（${SOURCE_SUPERVISION}）`, SOURCE_SUPERVISION);
  const now: Recovery[] = [];
  for (const { name, note } of found) {
    if (earlier.some((r) => r.unit === name)) {
      throw new RuleViolation(`“${name}”的奖项已经追回，不能重复追回（${SOURCE_SUPERVISION}）`, SOURCE_SUPERVISION);
    }
    const own = awards.filter((a) => a.unit === name);
    if (own.length === 0) throw new RuleViolation(`“${name}”不是本年度获奖单位，没有可追回的奖项（${SOURCE_SUPERVISION}）`, SOURCE_SUPERVISION);
    for (const a of own) {
      now.push({ unit: name, award: a.award, reason: note, amount: a.amount, headsShare: a.headsShare, unitShare: a.unitShare });
    }
  }
  const all = [...earlier, ...now];
  const total = (list: Recovery[], pick: (r: Recovery) => number) => list.reduce((t, r) => t + pick(r), 0);
  const line = (r: Recovery) =>
    `${r.unit}：追回${r.award}奖牌及奖金 ${money(r.amount)} 元（其中党政主要负责人奖励 ${money(r.headsShare)} 元，单位 ${money(r.unitShare)} 元）——弄虚作假：${r.reason}（${SOURCE_SUPERVISION}）`;
  const recoveryTotal = total(all, (r) => r.amount);
  const awardTotal = typeof input.awardTotal === 'number' ? input.awardTotal : total(awards as unknown as Recovery[], (a) => a.amount);
  return {
    recoveries: all,
    recoveredUnits: [...new Set(all.map((r) => r.unit))],
    lastRecoveryTotal: total(now, (r) => r.amount),
    lastRecoveryHeadsShare: total(now, (r) => r.headsShare),
    lastRecoveryText: now.map(line).join('\n'),
    recoveryTotal,
    recoveryHeadsShareTotal: total(all, (r) => r.headsShare),
    recoveryText: all.map(line).join('\n'),
    netAwardTotal: awardTotal - recoveryTotal,
  };
}

/**
 * Topic `annual-awards-rank`. Inputs: awardYear, townScores, separateGroupScores, departmentScores, cityFirstUnits,
 * vetoList, falsifiedBeforeAward, municipalPrizeUnits, directAwardConfirmed, innovationAwardees.
 */
export const annualAwardsRank: ServiceHandler = ({ inputs }) => computeAwards(inputs as unknown as AwardsInput);

/** Topic `annual-awards-recover`. Inputs: awards, falsifiedUnits, recoveries, awardTotal. */
export const annualAwardsRecover: ServiceHandler = ({ inputs }) =>
  recoverAwards({ awards: inputs.awards, falsifiedUnits: inputs.falsifiedUnits, recoveries: inputs.recoveries, awardTotal: inputs.awardTotal });

/** Service-task handlers of the annual-awards process (docs/processes/annual-awards.md). */
export const annualAwardsHandlers: Record<string, ServiceHandler> = {
  'annual-awards-rank': annualAwardsRank,
  'annual-awards-recover': annualAwardsRecover,
};
