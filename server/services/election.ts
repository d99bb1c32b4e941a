import { count, moreThan, parseRatio, type Ratio } from './deliberation.js';
import { RuleViolation, type ServiceHandler } from './types.js';

/**
 * P2 社区居民委员会选举: committee size consent and the tally of each voting round.
 *
 * Sources: 《民政局加强城市社区建设实施意见》四(4) (5 to 9 members, size fixed with the consent of most resident
 * representatives, secret ballot and public count, result announced on the spot); the validity and majority rules
 * are practice (城市居民委员会组织法 and local election rules): an election is valid when more than half of the
 * registered voters vote, and a candidate is elected with more than half of the ballots cast. Both thresholds are
 * process variables (`turnoutRatio`, `electRatio`, default `1/2`).
 */

export const SOURCE_SIZE = '《民政局加强城市社区建设实施意见》四(4)';
/** 大多数: more than half of the resident representatives (fixed by 四(4), not a setting). */
const MAJORITY: Ratio = { numerator: 1, denominator: 2, text: '1/2' };
export const SOURCE_PRACTICE = '实践规则（《城市居民委员会组织法》及地方居委会选举办法）';

export const MIN_COMMITTEE_SIZE = 5;
export const MAX_COMMITTEE_SIZE = 9;

export interface ConsentInput {
  committeeSize: unknown;
  repsTotal: unknown;
  repsConsenting: unknown;
}

export interface ConsentResult {
  sizeConsented: boolean;
  consentSummary: string;
}

/**
 * 职数 5–9, fixed only when a majority of the resident representatives consent: more than half, always — the
 * document fixes it (大多数社区居民代表同意, 四(4)), so it is no setting.
 */
export function decideCommitteeSize(input: ConsentInput): ConsentResult {
  const size = count(input.committeeSize, '居委会成员职数', SOURCE_SIZE);
  if (size < MIN_COMMITTEE_SIZE || size > MAX_COMMITTEE_SIZE) {
    throw new RuleViolation(
      `居委会成员职数（${size}）不符合规定：社区居民委员会一般由主任、副主任和委员共 5 至 9 人组成（${SOURCE_SIZE}）`,
      SOURCE_SIZE,
    );
  }
  const total = count(input.repsTotal, '社区居民代表总数', SOURCE_SIZE);
  const consenting = count(input.repsConsenting, '同意的居民代表人数', SOURCE_SIZE);
  if (total === 0) throw new RuleViolation(`社区居民代表总数不能为 0（${SOURCE_SIZE}）`, SOURCE_SIZE);
  if (consenting > total) {
    throw new RuleViolation(`同意人数（${consenting}）不能多于居民代表总数（${total}）（${SOURCE_SIZE}）`, SOURCE_SIZE);
  }
  const sizeConsented = moreThan(consenting, total, MAJORITY);
  return {
    sizeConsented,
    consentSummary: `居民代表 ${total} 人，同意 ${consenting} 人；${
      sizeConsented ? `超过半数，职数确定为 ${size} 人` : `未超过半数，职数未获同意，须重新提出`
    }。`,
  };
}

export interface CandidateVotes {
  name: string;
  votes: number;
}

/**
 * Candidate tallies from a form's text (one `姓名：票数` per line; full- or half-width colon) or from a list of
 * `{ name, votes }`.
 */
export function parseCandidateVotes(value: unknown): CandidateVotes[] {
  const rows: CandidateVotes[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const entry = item as { name?: unknown; votes?: unknown };
      rows.push({ name: String(entry?.name ?? '').trim(), votes: count(entry?.votes, `候选人“${String(entry?.name ?? '')}”的得票数`, SOURCE_PRACTICE) });
    }
  } else if (typeof value === 'string') {
    for (const [index, raw] of value.split(/\r?\n/).entries()) {
      const line = raw.trim();
      if (!line) continue;
      const match = /^(.+?)\s*[:：]\s*(\d+)\s*(?:票)?$/.exec(line);
      if (!match) {
        throw new RuleViolation(`得票登记第 ${index + 1} 行“${line}”格式不正确，应为“姓名：票数”（${SOURCE_PRACTICE}）`, SOURCE_PRACTICE);
      }
      rows.push({ name: match[1].trim(), votes: Number(match[2]) });
    }
  } else if (value !== null && value !== undefined) {
    throw new RuleViolation(`得票登记格式不正确（${SOURCE_PRACTICE}）`, SOURCE_PRACTICE);
  }
  const seen = new Set<string>();
  for (const row of rows) {
    if (!row.name) throw new RuleViolation(`得票登记中有未写姓名的行（${SOURCE_PRACTICE}）`, SOURCE_PRACTICE);
    if (seen.has(row.name)) throw new RuleViolation(`候选人“${row.name}”在得票登记中出现了两次（${SOURCE_PRACTICE}）`, SOURCE_PRACTICE);
    seen.add(row.name);
  }
  return rows;
}

export interface TallyInput {
  committeeSize: unknown;
  /** Members elected in earlier rounds (null before the first round). */
  electedMembers?: unknown;
  registeredVoters: unknown;
  ballotsCast: unknown;
  validBallots: unknown;
  invalidBallots?: unknown;
  candidateVotes: unknown;
  /** Number of the last round tallied (null before the first). */
  electionRound?: unknown;
  turnoutRatio?: unknown;
  electRatio?: unknown;
}

export interface TallyRow {
  name: string;
  votes: number;
  elected: boolean;
}

export interface TallyResult {
  electionRound: number;
  electionValid: boolean;
  seatsToFill: number;
  electedThisRound: string[];
  electedMembers: string[];
  seatsRemaining: number;
  electionComplete: boolean;
  tiedCandidates: string[];
  tallyRows: TallyRow[];
  tallySummary: string;
}

/**
 * One voting round (投票选举、公开计票).
 * - Ballots cast never exceed registered voters; valid + invalid ballots equal ballots cast; no candidate has more
 *   votes than there are valid ballots; all votes together are at most valid ballots × seats to fill.
 * - The round is valid when more than `turnoutRatio` (default 1/2) of registered voters voted.
 * - A candidate is elected with more than `electRatio` (default 1/2) of the ballots cast; if more candidates
 *   reach that than there are seats, the most votes win; a tie at the last seat elects none of the tied candidates.
 * - Seats left unfilled go to a further round (另行选举).
 */
export function tallyRound(input: TallyInput): TallyResult {
  const size = count(input.committeeSize, '居委会成员职数', SOURCE_SIZE);
  const previous = Array.isArray(input.electedMembers) ? input.electedMembers.map((m) => String(m)) : [];
  const seatsToFill = size - previous.length;
  if (seatsToFill <= 0) {
    throw new RuleViolation(`职数 ${size} 人已全部选出，不能再进行投票（${SOURCE_SIZE}）`, SOURCE_SIZE);
  }
  const registered = count(input.registeredVoters, '登记选民数', SOURCE_PRACTICE);
  const cast = count(input.ballotsCast, '收回选票数（参加投票人数）', SOURCE_PRACTICE);
  const valid = count(input.validBallots, '有效票数', SOURCE_PRACTICE);
  const invalidGiven = input.invalidBallots !== null && input.invalidBallots !== undefined && input.invalidBallots !== '';
  const invalid = invalidGiven ? count(input.invalidBallots, '无效票数', SOURCE_PRACTICE) : cast - valid;
  if (registered === 0) throw new RuleViolation(`登记选民数不能为 0（${SOURCE_PRACTICE}）`, SOURCE_PRACTICE);
  if (cast > registered) {
    throw new RuleViolation(`收回选票数（${cast}）多于登记选民数（${registered}），计票无效（${SOURCE_PRACTICE}）`, SOURCE_PRACTICE);
  }
  if (valid > cast || valid + invalid !== cast) {
    throw new RuleViolation(
      `有效票（${valid}）与无效票（${invalid}）之和应等于收回选票数（${cast}），计票不一致（${SOURCE_PRACTICE}）`,
      SOURCE_PRACTICE,
    );
  }
  const candidates = parseCandidateVotes(input.candidateVotes);
  for (const row of candidates) {
    if (row.votes > valid) {
      throw new RuleViolation(`候选人“${row.name}”得票（${row.votes}）多于有效票数（${valid}），计票不一致（${SOURCE_PRACTICE}）`, SOURCE_PRACTICE);
    }
    if (previous.includes(row.name)) {
      throw new RuleViolation(`“${row.name}”已在前一轮当选，不能再列入本轮计票（${SOURCE_PRACTICE}）`, SOURCE_PRACTICE);
    }
  }
  const totalVotes = candidates.reduce((sum, row) => sum + row.votes, 0);
  if (totalVotes > valid * seatsToFill) {
    throw new RuleViolation(
      `全部候选人得票合计（${totalVotes}）多于有效票数 × 应选人数（${valid} × ${seatsToFill}），计票不一致（${SOURCE_PRACTICE}）`,
      SOURCE_PRACTICE,
    );
  }
  const turnout = parseRatio(input.turnoutRatio, '1/2', '选举有效投票比例（turnoutRatio）');
  const electRatio = parseRatio(input.electRatio, '1/2', '当选得票比例（electRatio）');
  const lastRound = input.electionRound === null || input.electionRound === undefined ? 0 : count(input.electionRound, '轮次', SOURCE_PRACTICE);
  const round = lastRound + 1;

  const electionValid = moreThan(cast, registered, turnout);
  let elected: CandidateVotes[] = [];
  let tied: string[] = [];
  if (electionValid) {
    const qualifying = candidates.filter((row) => moreThan(row.votes, cast, electRatio)).sort((a, b) => b.votes - a.votes);
    if (qualifying.length <= seatsToFill) {
      elected = qualifying;
    } else {
      const cutoff = qualifying[seatsToFill - 1].votes;
      if (qualifying[seatsToFill].votes === cutoff) {
        elected = qualifying.filter((row) => row.votes > cutoff);
        tied = qualifying.filter((row) => row.votes === cutoff).map((row) => row.name);
      } else {
        elected = qualifying.slice(0, seatsToFill);
      }
    }
  }
  const electedNames = elected.map((row) => row.name);
  const electedMembers = [...previous, ...electedNames];
  const seatsRemaining = size - electedMembers.length;
  const tallyRows = [...candidates]
    .sort((a, b) => b.votes - a.votes)
    .map((row) => ({ name: row.name, votes: row.votes, elected: electedNames.includes(row.name) }));

  const head = `第 ${round} 轮：登记选民 ${registered} 人，收回选票 ${cast} 张（有效 ${valid} 张，无效 ${invalid} 张）`;
  let tail: string;
  if (!electionValid) {
    tail = `参加投票人数未超过登记选民的 ${turnout.text}，本轮选举无效，须重新投票。`;
  } else {
    const names = elected.length ? elected.map((row) => `${row.name}（${row.votes} 票）`).join('、') : '无人';
    tail = `选举有效。当选：${names}。`;
    if (tied.length) tail += `${tied.join('、')} 得票相同，名额不足，均未当选。`;
    tail += seatsRemaining > 0 ? `尚缺 ${seatsRemaining} 名，另行选举。` : `${size} 名成员已全部选出。`;
  }

  return {
    electionRound: round,
    electionValid,
    seatsToFill,
    electedThisRound: electedNames,
    electedMembers,
    seatsRemaining,
    electionComplete: electionValid && seatsRemaining === 0,
    tiedCandidates: tied,
    tallyRows,
    tallySummary: `${head}；${tail}`,
  };
}

/** Topic `election-size-consent`. Inputs: committeeSize, repsTotal, repsConsenting. */
export const electionSizeConsent: ServiceHandler = ({ inputs }) => ({
  ...decideCommitteeSize({
    committeeSize: inputs.committeeSize,
    repsTotal: inputs.repsTotal,
    repsConsenting: inputs.repsConsenting,
  }),
});

/**
 * Topic `election-tally`. Inputs: committeeSize, electedMembers, registeredVoters, ballotsCast, validBallots,
 * invalidBallots, candidateVotes, electionRound, turnoutRatio, electRatio.
 */
export const electionTally: ServiceHandler = ({ inputs }) => ({ ...tallyRound(inputs as unknown as TallyInput) });

export const electionHandlers: Record<string, ServiceHandler> = {
  'election-size-consent': electionSizeConsent,
  'election-tally': electionTally,
};
