import { count, moreThan, parseRatio } from './deliberation.js';
import { RuleViolation, type ServiceHandler } from './types.js';

/**
 * P1 城乡社区治理创新试点: campaign set-up, self-check scoring, acceptance score and the named list.
 *
 * Source: 《社会治理活动方案》篇一 (the Kunming pilot work plan): applications are recommended by the counties and
 * accepted by the leading-group office (1.宣传启动); acceptance rests on the community's self-check against the
 * evaluation index system (考评体系), the county's initial evaluation, expert evaluation and residents' evaluation
 * (3.评估验收); the city names the pilots whose results can be spread (4.总结命名). How the components combine is
 * the campaign's own rule: weights and pass mark are process variables set on the start form.
 */

export const SOURCE_LAUNCH = '《社会治理活动方案》篇一 第1项“宣传启动”';
export const SOURCE_INDEX = '《社会治理活动方案》篇一（《昆明市城乡社区治理创新考评体系（试行）》）';
export const SOURCE_ACCEPTANCE = '《社会治理活动方案》篇一 第3项“评估验收”';
/** Not in the documents: the usual rule of expert panels, cited as practice. */
const SOURCE_EXPERT_VETO = '专家评审惯例：多数专家不同意即不通过';
export const SOURCE_NAMING = '《社会治理活动方案》篇一 第4项“总结命名”';

/** Practice: "several experts" is at least three, each scoring independently. */
export const MIN_EXPERTS = 3;

export interface Community {
  name: string;
  county: string;
}

export interface Indicator {
  name: string;
  max: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function lines(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** A finite number ≥ 0 (decimals allowed), or a RuleViolation. */
function score(value: unknown, what: string, source: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new RuleViolation(`${what}必须是不小于 0 的数，实际为“${value === undefined ? '未填写' : String(value)}”（${source}）`, source);
  }
  return n;
}

/** `社区名称，所属县（市）区` per line (comma, full-width comma, tab or `|`). */
export function parseCommunities(text: unknown): Community[] {
  const out: Community[] = [];
  const seen = new Set<string>();
  for (const line of lines(text)) {
    const [name, ...rest] = line.split(/\s*[,，\t|｜]\s*/);
    const community = { name: name.trim(), county: rest.join('，').trim() };
    if (!community.name) continue;
    if (seen.has(community.name)) {
      throw new RuleViolation(`试点社区“${community.name}”重复申报（${SOURCE_LAUNCH}）`, SOURCE_LAUNCH);
    }
    seen.add(community.name);
    out.push(community);
  }
  return out;
}

/** Strip a trailing `（满分 20）` / `(满分20分)` from an indicator label. */
function indicatorKey(label: string): string {
  return label.replace(/\s*[（(]\s*满分[^）)]*[）)]\s*$/, '').trim();
}

/** `指标名称：满分` per line. */
export function parseIndicators(text: unknown): Indicator[] {
  const out: Indicator[] = [];
  for (const line of lines(text)) {
    const match = /^(.+?)\s*[:：]\s*(\d+(?:\.\d+)?)\s*分?$/.exec(line);
    if (!match) {
      throw new RuleViolation(`考评指标“${line}”格式不正确，应为“指标名称：满分”（${SOURCE_INDEX}）`, SOURCE_INDEX);
    }
    const name = indicatorKey(match[1]);
    const max = Number(match[2]);
    if (max <= 0) throw new RuleViolation(`考评指标“${name}”的满分必须大于 0（${SOURCE_INDEX}）`, SOURCE_INDEX);
    if (out.some((i) => i.name === name)) throw new RuleViolation(`考评指标“${name}”重复（${SOURCE_INDEX}）`, SOURCE_INDEX);
    out.push({ name, max });
  }
  return out;
}

export interface Weights {
  weightSelfCheck: number;
  weightExpert: number;
  weightResident: number;
}

function readWeights(inputs: Record<string, unknown>): Weights {
  const weights = {
    weightSelfCheck: score(inputs.weightSelfCheck, '社区自查权重', SOURCE_ACCEPTANCE),
    weightExpert: score(inputs.weightExpert, '专家评估权重', SOURCE_ACCEPTANCE),
    weightResident: score(inputs.weightResident, '居民测评权重', SOURCE_ACCEPTANCE),
  };
  const sum = weights.weightSelfCheck + weights.weightExpert + weights.weightResident;
  if (Math.abs(sum - 100) > 1e-9) {
    throw new RuleViolation(`社区自查、专家评估、居民测评三项权重之和应为 100，实际为 ${sum}（${SOURCE_ACCEPTANCE}）`, SOURCE_ACCEPTANCE);
  }
  return weights;
}

function readPassMark(value: unknown): number {
  const passMark = score(value, '验收合格分数线', SOURCE_ACCEPTANCE);
  if (passMark > 100) throw new RuleViolation(`验收合格分数线不能高于 100（${SOURCE_ACCEPTANCE}）`, SOURCE_ACCEPTANCE);
  return passMark;
}

/** Topic `pilot-campaign-setup`: turns the start form's lists into the campaign's variables. */
export function setUpCampaign(inputs: Record<string, unknown>) {
  const communities = parseCommunities(inputs.communityList);
  if (!communities.length) {
    throw new RuleViolation(`试点社区名单为空：县（市）区须向领导小组办公室推荐和申报试点社区（${SOURCE_LAUNCH}）`, SOURCE_LAUNCH);
  }
  const indicators = parseIndicators(inputs.indicatorList);
  if (!indicators.length) throw new RuleViolation(`考评体系没有任何指标（${SOURCE_INDEX}）`, SOURCE_INDEX);
  readWeights(inputs);
  readPassMark(inputs.passMark);
  const experts = count(inputs.expertCount, '专家人数', SOURCE_ACCEPTANCE);
  if (experts < MIN_EXPERTS) {
    throw new RuleViolation(`专家评估至少由 ${MIN_EXPERTS} 名专家独立评分，当前为 ${experts} 名（${SOURCE_ACCEPTANCE}）`, SOURCE_ACCEPTANCE);
  }
  const indicatorMaxTotal = round2(indicators.reduce((sum, i) => sum + i.max, 0));
  return {
    communities,
    communityCount: communities.length,
    indicators,
    indicatorMaxTotal,
    indicatorText: indicators.map((i, n) => `${n + 1}. ${i.name}（满分 ${i.max} 分）`).join('\n'),
    scoreSheetTemplate: indicators.map((i) => `${i.name}：`).join('\n'),
  };
}

export interface SelfCheckLine {
  name: string;
  max: number;
  claimed: number | null;
  score: number;
}

/**
 * 社区自查: each indicator scored at most its maximum (a higher claim is capped and listed in `selfCheckCapped`);
 * an indicator not scored counts 0; a line naming no indicator of the campaign is refused.
 * `selfCheckScore` is the capped total as a percentage of the attainable total (0–100, two decimals).
 */
export function scoreSelfCheck(indicatorsInput: unknown, scores: unknown) {
  const indicators = readIndicatorList(indicatorsInput);
  const claims = new Map<string, number>();
  const addClaim = (label: string, value: unknown) => {
    const key = indicatorKey(label);
    const indicator = indicators.find((i) => i.name === key);
    if (!indicator) {
      throw new RuleViolation(`自查评分中的“${key}”不是本批考评体系的指标（${SOURCE_INDEX}）`, SOURCE_INDEX);
    }
    if (claims.has(key)) throw new RuleViolation(`指标“${key}”在自查评分中出现了两次（${SOURCE_INDEX}）`, SOURCE_INDEX);
    claims.set(key, score(value, `指标“${key}”的自查得分`, SOURCE_INDEX));
  };
  if (Array.isArray(scores)) {
    for (const item of scores) {
      const entry = item as { name?: unknown; score?: unknown };
      addClaim(String(entry?.name ?? ''), entry?.score);
    }
  } else {
    for (const line of lines(scores)) {
      const match = /^(.+?)\s*[:：]\s*(\d+(?:\.\d+)?)?\s*分?\s*$/.exec(line);
      if (!match) throw new RuleViolation(`自查评分“${line}”格式不正确，应为“指标名称：得分”（${SOURCE_INDEX}）`, SOURCE_INDEX);
      if (match[2] === undefined) continue; // left blank on the score sheet: not scored
      addClaim(match[1], match[2]);
    }
  }
  const detail: SelfCheckLine[] = indicators.map((i) => {
    const claimed = claims.has(i.name) ? claims.get(i.name)! : null;
    return { name: i.name, max: i.max, claimed, score: claimed === null ? 0 : Math.min(claimed, i.max) };
  });
  const total = round2(detail.reduce((sum, line) => sum + line.score, 0));
  const max = round2(indicators.reduce((sum, i) => sum + i.max, 0));
  const capped = detail.filter((line) => line.claimed !== null && line.claimed > line.max).map((line) => line.name);
  const missing = detail.filter((line) => line.claimed === null).map((line) => line.name);
  const percent = round2((total / max) * 100);
  let summary = `自查得分 ${total} / ${max}（折合 ${percent} 分）`;
  if (capped.length) summary += `；${capped.join('、')} 超过满分，按满分计`;
  if (missing.length) summary += `；${missing.join('、')} 未评分，按 0 分计`;
  return {
    selfCheckDetail: detail,
    selfCheckTotal: total,
    selfCheckMax: max,
    selfCheckScore: percent,
    selfCheckCapped: capped,
    selfCheckMissing: missing,
    selfCheckSummary: `${summary}。`,
  };
}

function readIndicatorList(value: unknown): Indicator[] {
  if (typeof value === 'string') return parseIndicators(value);
  if (!Array.isArray(value) || !value.length) throw new RuleViolation(`本批考评体系没有指标（${SOURCE_INDEX}）`, SOURCE_INDEX);
  return value.map((item) => {
    const entry = item as { name?: unknown; max?: unknown };
    const name = String(entry?.name ?? '').trim();
    const max = score(entry?.max, `指标“${name}”的满分`, SOURCE_INDEX);
    if (!name || max <= 0) throw new RuleViolation(`考评指标“${name}”无效（${SOURCE_INDEX}）`, SOURCE_INDEX);
    return { name, max };
  });
}

export interface AcceptanceInput extends Partial<Weights> {
  selfCheckScore: unknown;
  expertReviews: unknown;
  expertCount?: unknown;
  surveyRespondents: unknown;
  satisfiedRespondents: unknown;
  passMark: unknown;
  /** Practice: more than this share of the experts concluding 不通过 fails the track whatever its score (default 1/2). */
  expertRejectRatio?: unknown;
}

/**
 * 评估验收: acceptance score = (自查 × w1 + 专家平均 × w2 + 居民满意率 × w3) / 100, each component on a 0–100
 * scale; accepted when the score (two decimals) reaches the pass mark. At least `max(3, expertCount)` expert
 * scores are needed, each from a different expert.
 */
export function scoreAcceptance(input: AcceptanceInput) {
  const weights = readWeights(input as unknown as Record<string, unknown>);
  const passMark = readPassMark(input.passMark);
  const selfCheck = score(input.selfCheckScore, '社区自查得分', SOURCE_ACCEPTANCE);
  const reviews = Array.isArray(input.expertReviews) ? (input.expertReviews as Record<string, unknown>[]) : [];
  const required = Math.max(
    MIN_EXPERTS,
    input.expertCount === null || input.expertCount === undefined ? 0 : count(input.expertCount, '专家人数', SOURCE_ACCEPTANCE),
  );
  if (reviews.length < required) {
    throw new RuleViolation(`专家评估须至少 ${required} 名专家独立评分，目前只有 ${reviews.length} 份（${SOURCE_ACCEPTANCE}）`, SOURCE_ACCEPTANCE);
  }
  const experts = new Set<string>();
  const scores = reviews.map((review, index) => {
    const by = review?.by;
    if (typeof by === 'string' && by) {
      if (experts.has(by)) {
        throw new RuleViolation(`专家“${by}”对同一试点评了两次分：每位专家应独立评分一次（${SOURCE_ACCEPTANCE}）`, SOURCE_ACCEPTANCE);
      }
      experts.add(by);
    }
    const value = score(review?.score, `第 ${index + 1} 位专家的评分`, SOURCE_ACCEPTANCE);
    if (value > 100) throw new RuleViolation(`专家评分不能高于 100 分（${SOURCE_ACCEPTANCE}）`, SOURCE_ACCEPTANCE);
    return value;
  });
  const expertAverage = scores.reduce((a, b) => a + b, 0) / scores.length;
  // The experts' conclusions count as well as their scores: a track most experts reject is not accepted (practice).
  const rejectRatio = parseRatio(input.expertRejectRatio, '1/2', '专家否决比例（expertRejectRatio）');
  const rejections = reviews.filter((review) => review?.decision === 'reject').length;
  const vetoed = moreThan(rejections, reviews.length, rejectRatio);
  const respondents = count(input.surveyRespondents, '居民测评参与人数', SOURCE_ACCEPTANCE);
  const satisfied = count(input.satisfiedRespondents, '表示满意的居民人数', SOURCE_ACCEPTANCE);
  if (respondents === 0) throw new RuleViolation(`居民测评参与人数不能为 0（${SOURCE_ACCEPTANCE}）`, SOURCE_ACCEPTANCE);
  if (satisfied > respondents) {
    throw new RuleViolation(`表示满意的人数（${satisfied}）不能多于参与测评人数（${respondents}）（${SOURCE_ACCEPTANCE}）`, SOURCE_ACCEPTANCE);
  }
  if (selfCheck > 100) throw new RuleViolation(`社区自查折合分不能高于 100（${SOURCE_ACCEPTANCE}）`, SOURCE_ACCEPTANCE);
  const residentScore = (satisfied / respondents) * 100;
  const acceptanceScore = round2(
    (selfCheck * weights.weightSelfCheck + expertAverage * weights.weightExpert + residentScore * weights.weightResident) / 100,
  );
  const accepted = acceptanceScore >= passMark && !vetoed;
  return {
    expertAverage: round2(expertAverage),
    residentScore: round2(residentScore),
    acceptanceScore,
    accepted,
    acceptanceSummary:
      `社区自查 ${round2(selfCheck)} 分 × ${weights.weightSelfCheck}% + 专家评估平均 ${round2(expertAverage)} 分 × ${weights.weightExpert}% + ` +
      `居民测评满意率 ${round2(residentScore)} 分 × ${weights.weightResident}% = ${acceptanceScore} 分；` +
      `合格线 ${passMark} 分` +
      (vetoed
        ? `；${reviews.length} 名专家中 ${rejections} 名结论为“不通过”，超过 ${rejectRatio.text}（${SOURCE_EXPERT_VETO}），不论得分，未通过评估验收。`
        : `，${accepted ? '通过评估验收' : '未通过评估验收'}。`),
    expertRejections: rejections,
  };
}

export interface NamedPilot {
  rank: number;
  name: string;
  county: string;
  score: number;
}

/**
 * 总结命名: the pilots whose track ended accepted, best score first. `tracks` is the list the runtime collects from
 * the multi-instance sub-process (each entry holds the iteration's `community`, `accepted`, `acceptanceScore`).
 */
export function namedList(tracks: unknown) {
  const list = Array.isArray(tracks) ? (tracks as Record<string, unknown>[]) : [];
  const named: NamedPilot[] = [];
  const notNamed: string[] = [];
  for (const track of list) {
    const community = track?.community as Community | string | undefined;
    const name = typeof community === 'string' ? community : String(community?.name ?? track?.name ?? '').trim();
    const county = typeof community === 'object' && community ? String(community.county ?? '') : '';
    if (!name) continue;
    if (track.accepted === true && typeof track.acceptanceScore === 'number') {
      named.push({ rank: 0, name, county, score: track.acceptanceScore });
    } else {
      notNamed.push(name);
    }
  }
  named.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name, 'zh-CN'));
  named.forEach((pilot, index) => (pilot.rank = index + 1));
  return {
    namedPilots: named,
    namedCount: named.length,
    namedNames: named.map((p) => p.name),
    notNamed,
    namedListText: named.length
      ? named.map((p, i) => `${i + 1}. ${p.name}${p.county ? `（${p.county}）` : ''}　${p.score} 分`).join('\n')
      : '（无通过评估验收的试点）',
  };
}

/** Topic `pilot-campaign-setup`. Inputs: communityList, indicatorList, weights, passMark, expertCount. */
export const pilotCampaignSetup: ServiceHandler = ({ inputs }) => setUpCampaign(inputs);

/** Topic `pilot-self-check`. Inputs: indicators, selfCheckScores. */
export const pilotSelfCheck: ServiceHandler = ({ inputs }) => scoreSelfCheck(inputs.indicators, inputs.selfCheckScores);

/**
 * Topic `pilot-acceptance`. Inputs: selfCheckScore, expertReviews, expertCount, surveyRespondents,
 * satisfiedRespondents, weightSelfCheck, weightExpert, weightResident, passMark.
 */
export const pilotAcceptance: ServiceHandler = ({ inputs }) => scoreAcceptance(inputs as unknown as AcceptanceInput);

/** Topic `pilot-named-list`. Inputs: tracks. */
export const pilotNamedList: ServiceHandler = ({ inputs }) => namedList(inputs.tracks);

export const pilotHandlers: Record<string, ServiceHandler> = {
  'pilot-campaign-setup': pilotCampaignSetup,
  'pilot-self-check': pilotSelfCheck,
  'pilot-acceptance': pilotAcceptance,
  'pilot-named-list': pilotNamedList,
};
