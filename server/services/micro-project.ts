import { RuleViolation, type ServiceHandler } from './types.js';

/** 《社会治理活动方案》篇四 第32项: the implementation counts in the party secretaries' annual report (述职评议). */
export const SOURCE_MICRO_PROJECT = '《社会治理活动方案》篇四 第32项';

/** One acceptance of a 民生微实事 project, as the party secretaries' annual report (述职评议考核) reads it. */
export interface ReportEntry {
  community: string;
  project: string;
  proposedBy: string;
  approvedBudget: number | null;
  actualCost: number | null;
  completedOn: string | null;
  acceptedOn: string | null;
  result: '验收合格' | '退回整改' | '验收不合格';
  opinion: string | null;
  source: string;
}

/**
 * Records an acceptance (passed or returned for rework) for the 述职评议: the entries accumulate on the instance,
 * and the acceptance's own decision is kept apart from the party committee's earlier `decision`.
 */
export function recordAcceptance(inputs: Record<string, unknown>) {
  const decision = inputs.decision;
  if (decision !== 'approve' && decision !== 'return' && decision !== 'reject') {
    throw new RuleViolation(`验收结论无效（${SOURCE_MICRO_PROJECT}：验收）`, SOURCE_MICRO_PROJECT);
  }
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : null);
  const amount = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  const entry: ReportEntry = {
    community: text(inputs.communityName) ?? '',
    project: text(inputs.projectName) ?? '',
    proposedBy: text(inputs.proposedBy) ?? '',
    approvedBudget: amount(inputs.approvedBudget),
    actualCost: amount(inputs.actualCost),
    completedOn: text(inputs.completedOn),
    acceptedOn: text(inputs.acceptedOn),
    result: decision === 'approve' ? '验收合格' : decision === 'return' ? '退回整改' : '验收不合格',
    opinion: text(inputs.opinion),
    source: `${SOURCE_MICRO_PROJECT}：实施情况列入述职评议考核`,
  };
  const previous = Array.isArray(inputs.previous) ? (inputs.previous as ReportEntry[]) : [];
  return {
    secretaryReportRecord: [...previous, entry],
    acceptanceDecision: decision,
    acceptanceOpinionText: entry.opinion,
  };
}

export const microProjectHandlers: Record<string, ServiceHandler> = {
  'micro-project-record': ({ inputs }) => recordAcceptance(inputs),
};
