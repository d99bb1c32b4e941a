import { RuleViolation, type ServiceHandler } from './types.js';

/**
 * P3 四议两公开: quorum and majority of the residents' representatives meeting (居民代表会议决议).
 *
 * Also home of the exact ratio arithmetic the election handlers share: thresholds such as "two thirds" and
 * "more than half" are process variables written as fractions (`2/3`, `1/2`) or decimals, and every comparison is
 * done on integers (`present × 3 ≥ total × 2`), so no floating-point rounding decides a vote.
 */

export const SOURCE_FOUR_DELIBERATIONS = '《社会治理活动方案》篇四 第2项（“四议两公开”重大事项议事决策机制）及实践规则';

/** A ratio as an exact fraction. */
export interface Ratio {
  numerator: number;
  denominator: number;
  text: string;
}

/**
 * Parse `2/3`, `1/2`, `0.5`, `0.6667`, `1` or a number. Decimals become exact fractions of their written digits
 * (`0.6667` is 6667/10000, not two thirds). Accepts 0–1.
 */
export function parseRatio(value: unknown, fallback: string, what: string): Ratio {
  const raw = value === null || value === undefined || value === '' ? fallback : value;
  const text = String(raw).trim();
  let numerator: number;
  let denominator: number;
  const fraction = /^(\d+)\s*\/\s*(\d+)$/.exec(text);
  const decimal = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (fraction) {
    numerator = Number(fraction[1]);
    denominator = Number(fraction[2]);
  } else if (decimal) {
    const digits = decimal[2] ?? '';
    denominator = 10 ** digits.length;
    numerator = Number(decimal[1]) * denominator + (digits ? Number(digits) : 0);
  } else {
    throw new RuleViolation(`${what}“${text}”无效：应写成分数（如 2/3）或小数（如 0.5）`);
  }
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator === 0 || numerator > denominator) {
    throw new RuleViolation(`${what}“${text}”无效：应在 0 与 1 之间`);
  }
  return { numerator, denominator, text };
}

/** `part / whole ≥ ratio`, exactly. */
export function atLeast(part: number, whole: number, ratio: Ratio): boolean {
  return part * ratio.denominator >= whole * ratio.numerator;
}

/** `part / whole > ratio`, exactly ("more than half" is `moreThan(x, n, 1/2)`: exactly half is not more). */
export function moreThan(part: number, whole: number, ratio: Ratio): boolean {
  return part * ratio.denominator > whole * ratio.numerator;
}

/** Smallest integer k with k/whole ≥ ratio. */
export function minimumAtLeast(whole: number, ratio: Ratio): number {
  return Math.floor((whole * ratio.numerator + ratio.denominator - 1) / ratio.denominator);
}

/** Smallest integer k with k/whole > ratio. */
export function minimumMoreThan(whole: number, ratio: Ratio): number {
  return Math.floor((whole * ratio.numerator) / ratio.denominator) + 1;
}

/** A non-negative integer input, or a RuleViolation naming the field. */
export function count(value: unknown, what: string, source: string, optional = false): number {
  if ((value === null || value === undefined || value === '') && optional) return 0;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new RuleViolation(`${what}必须是非负整数，实际为“${value === undefined ? '未填写' : String(value)}”（${source}）`, source);
  }
  return n;
}

export interface ResolutionInput {
  repsTotal: number;
  repsPresent: number;
  votesFor: number;
  votesAgainst?: number;
  abstentions?: number;
  quorumRatio?: unknown;
  majorityRatio?: unknown;
}

export interface ResolutionResult {
  quorate: boolean;
  resolutionPassed: boolean;
  quorumNeeded: number;
  votesNeeded: number;
  resolutionSummary: string;
}

/**
 * 居民代表会议决议: quorate when at least `quorumRatio` (default 2/3) of the representatives are present; the
 * resolution passes when more than `majorityRatio` (default 1/2) of those present vote for it.
 */
export function decideResolution(input: ResolutionInput): ResolutionResult {
  const source = SOURCE_FOUR_DELIBERATIONS;
  const total = count(input.repsTotal, '应到居民代表人数', source);
  const present = count(input.repsPresent, '实到居民代表人数', source);
  const votesFor = count(input.votesFor, '赞成票数', source);
  const against = count(input.votesAgainst, '反对票数', source, true);
  const abstain = count(input.abstentions, '弃权票数', source, true);
  const quorum = parseRatio(input.quorumRatio, '2/3', '到会比例（quorumRatio）');
  const majority = parseRatio(input.majorityRatio, '1/2', '表决通过比例（majorityRatio）');
  if (total === 0) throw new RuleViolation(`应到居民代表人数不能为 0（${source}）`, source);
  if (present > total) {
    throw new RuleViolation(`实到人数（${present}）不能多于应到人数（${total}）（${source}）`, source);
  }
  if (votesFor + against + abstain > present) {
    throw new RuleViolation(
      `赞成、反对、弃权票合计（${votesFor + against + abstain}）不能多于实到人数（${present}）：票数不一致（${source}）`,
      source,
    );
  }
  const quorate = atLeast(present, total, quorum);
  const resolutionPassed = quorate && moreThan(votesFor, present, majority);
  const quorumNeeded = minimumAtLeast(total, quorum);
  const votesNeeded = minimumMoreThan(present, majority);
  const outcome = !quorate
    ? `到会人数不足 ${quorum.text}（至少需 ${quorumNeeded} 人），会议不能表决`
    : resolutionPassed
      ? '决议通过'
      : `赞成票未超过到会人数的 ${majority.text}（至少需 ${votesNeeded} 票），决议未通过`;
  return {
    quorate,
    resolutionPassed,
    quorumNeeded,
    votesNeeded,
    resolutionSummary: `应到 ${total} 人，实到 ${present} 人；赞成 ${votesFor} 票，反对 ${against} 票，弃权 ${abstain} 票。${outcome}。`,
  };
}

/** Topic `deliberation-resolution`. Inputs: repsTotal, repsPresent, votesFor, votesAgainst, abstentions, quorumRatio, majorityRatio. */
export const deliberationResolution: ServiceHandler = ({ inputs }) => ({
  ...decideResolution({
    repsTotal: inputs.repsTotal as number,
    repsPresent: inputs.repsPresent as number,
    votesFor: inputs.votesFor as number,
    votesAgainst: inputs.votesAgainst as number | undefined,
    abstentions: inputs.abstentions as number | undefined,
    quorumRatio: inputs.quorumRatio,
    majorityRatio: inputs.majorityRatio,
  }),
});

export const deliberationHandlers: Record<string, ServiceHandler> = {
  'deliberation-resolution': deliberationResolution,
};
