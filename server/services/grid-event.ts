import { RuleViolation, type ServiceHandler } from './types.js';

/**
 * P5 网格事件 巡、拨、办、督 (processes/grid-event.bpmn, docs/processes/grid-event.md).
 *
 * 《社会治理活动方案》篇四 第14项: 按照“谁上报、谁核查”对系统推送已整治的事件进行核查，对于网格员核查不通过的事件
 * 退回整治，核查超过三次仍达不到结案标准的，纳入整治单位绩效考核，限期督办。
 * 第15项: 微小事件简易程序（当场办理或督促整改，拒不整改的由综合整治队强力整治）；危险程度高、事态紧急的事件
 * 以快采快报形式报告相关部门处置。
 *
 * Pure functions of their inputs and the step's clock; the results become instance variables.
 */

export const SOURCE_GRID_CHECK = '《社会治理活动方案》篇四 第14项（优化巡、拨、办、督机制）';
export const SOURCE_GRID_MINOR = '《社会治理活动方案》篇四 第15项（推行微小事件简易程序）';

/**
 * “核查超过三次仍达不到结案标准的”: the number of failed checks the text tolerates. The fourth failed check is
 * "more than three": the event is recorded against the unit's appraisal and put under deadline supervision.
 * Fixed by the document, not a setting.
 */
export const MAX_FAILED_CHECKS = 3;

/** Event types of the report form (专业网格, 篇四 第13项), by enum id. */
export const EVENT_TYPE_NAMES: Readonly<Record<string, string>> = {
  security: '治安',
  'work-safety': '安全生产',
  fire: '消防安全隐患',
  traffic: '交通',
  'env-water': '环境水务',
  market: '市场监管',
  sanitation: '市容环卫',
  other: '其他',
};

export type GridRoute = 'minor' | 'urgent' | 'normal';

/** The calendar day in China time (UTC+8, no daylight saving) of an instant, `YYYY-MM-DD`. */
export function chinaDate(instant: Date): string {
  return new Date(instant.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** Date and minutes in China time, `YYYY-MM-DD HH:mm`. */
export function chinaDateTime(instant: Date): string {
  return new Date(instant.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : value === null || value === undefined ? '' : String(value).trim();
}

function flag(value: unknown): boolean {
  return value === true || value === 'true' || value === 'on';
}

export interface RegisterInput {
  eventType?: unknown;
  place?: unknown;
  description?: unknown;
  urgency?: unknown;
  minorEvent?: unknown;
  minorListItem?: unknown;
  reportedDepartments?: unknown;
}

export interface RegisterResult {
  route: GridRoute;
  reportedAt: string;
  reportedOn: string;
  eventSummary: string;
  failedChecks: number;
  checkCount: number;
  closed: boolean;
  underSupervision: boolean;
}

/**
 * 上报登记: decides the route of a reported event. Urgent (危险程度高、事态紧急) → 快采快报; on the list of minor
 * events → 简易程序; otherwise the grid office dispatches it. An event cannot be both urgent and minor.
 */
export function registerEvent(input: RegisterInput, now: Date): RegisterResult {
  const place = text(input.place);
  const description = text(input.description);
  const eventType = text(input.eventType);
  if (!place || !description || !eventType) {
    throw new RuleViolation(`网格事件须写明事件类型、地点和描述（${SOURCE_GRID_CHECK}）`, SOURCE_GRID_CHECK);
  }
  const urgency = text(input.urgency) || 'normal';
  if (urgency !== 'normal' && urgency !== 'urgent') {
    throw new RuleViolation(`紧急程度“${urgency}”无效：只能是一般或危险程度高、事态紧急（${SOURCE_GRID_MINOR}）`, SOURCE_GRID_MINOR);
  }
  const minor = flag(input.minorEvent);
  if (urgency === 'urgent' && minor) {
    throw new RuleViolation(
      `危险程度高、事态紧急的事件应以快采快报形式报告相关部门处置，不适用微小事件简易程序（${SOURCE_GRID_MINOR}）`,
      SOURCE_GRID_MINOR,
    );
  }
  if (minor && !text(input.minorListItem)) {
    throw new RuleViolation(`微小事件须写明《网格员督办微小事件清单》中的对应事项（${SOURCE_GRID_MINOR}）`, SOURCE_GRID_MINOR);
  }
  if (urgency === 'urgent' && !text(input.reportedDepartments)) {
    throw new RuleViolation(`快采快报须写明报告的相关部门（${SOURCE_GRID_MINOR}）`, SOURCE_GRID_MINOR);
  }
  const route: GridRoute = urgency === 'urgent' ? 'urgent' : minor ? 'minor' : 'normal';
  const short = description.length > 40 ? `${description.slice(0, 40)}…` : description;
  return {
    route,
    reportedAt: now.toISOString(),
    reportedOn: chinaDate(now),
    eventSummary: `【${EVENT_TYPE_NAMES[eventType] ?? eventType}】${place}：${short}`,
    failedChecks: 0,
    checkCount: 0,
    closed: false,
    underSupervision: false,
  };
}

/** 快采快报: the record of the fast report to the departments concerned, at once. */
export function fastReport(input: { reportedDepartments?: unknown; eventSummary?: unknown }, now: Date) {
  const departments = text(input.reportedDepartments);
  if (!departments) throw new RuleViolation(`快采快报须写明报告的相关部门（${SOURCE_GRID_MINOR}）`, SOURCE_GRID_MINOR);
  const at = now.toISOString();
  return {
    fastReportedAt: at,
    fastReportText: `${text(input.eventSummary)}——危险程度高、事态紧急，已于 ${chinaDateTime(now)}（北京时间）快采快报至：${departments}`,
  };
}

/** The record P7 (下沉人员年度考核) and the units' performance appraisal read: a plain JSON value on the instance. */
export interface AppraisalRecord {
  unit: string;
  eventNo: string | null;
  eventType: string;
  place: string;
  reason: string;
  failedChecks: number;
  at: string;
  lastFailedAt: string;
  source: string;
}

export interface CheckInput {
  decision?: unknown;
  opinion?: unknown;
  failedChecks?: unknown;
  checkCount?: unknown;
  responsibleUnit?: unknown;
  eventType?: unknown;
  place?: unknown;
  appraisalRecord?: unknown;
  businessKey?: string | null;
}

export interface CheckResult {
  closed: boolean;
  failedChecks: number;
  checkCount: number;
  underSupervision: boolean;
  checkedOnDate: string;
  checkSummary: string;
  appraisalRecord?: AppraisalRecord;
}

function nonNegative(value: unknown, what: string): number {
  if (value === null || value === undefined || value === '') return 0;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new RuleViolation(`${what}必须是非负整数，实际为“${String(value)}”（${SOURCE_GRID_CHECK}）`, SOURCE_GRID_CHECK);
  }
  return n;
}

/**
 * 谁上报、谁核查: counts the reporter's check. A failed check returns the event for rework; when the failed checks
 * are more than {@link MAX_FAILED_CHECKS} (the fourth and every later one) the event is under deadline
 * supervision and the appraisal record is written (first time) or brought up to date (later failures).
 */
export function recordCheck(input: CheckInput, now: Date): CheckResult {
  const decision = text(input.decision);
  if (decision !== 'approve' && decision !== 'reject') {
    throw new RuleViolation(`核查结论“${decision || '未填写'}”无效：只能是核查通过或核查不通过（${SOURCE_GRID_CHECK}）`, SOURCE_GRID_CHECK);
  }
  const previousFailed = nonNegative(input.failedChecks, '已核查不通过次数');
  const checkCount = nonNegative(input.checkCount, '核查次数') + 1;
  const checkedOnDate = chinaDate(now);
  if (decision === 'approve') {
    return {
      closed: true,
      failedChecks: previousFailed,
      checkCount,
      underSupervision: previousFailed > MAX_FAILED_CHECKS,
      checkedOnDate,
      checkSummary: `第 ${checkCount} 次核查：达到结案标准，结案（此前核查不通过 ${previousFailed} 次）。`,
    };
  }
  const opinion = text(input.opinion);
  if (!opinion) {
    throw new RuleViolation(`核查不通过的，须写明未达到结案标准的情况（${SOURCE_GRID_CHECK}）`, SOURCE_GRID_CHECK);
  }
  const failedChecks = previousFailed + 1;
  const underSupervision = failedChecks > MAX_FAILED_CHECKS;
  const result: CheckResult = {
    closed: false,
    failedChecks,
    checkCount,
    underSupervision,
    checkedOnDate,
    checkSummary: underSupervision
      ? `第 ${checkCount} 次核查不通过（累计 ${failedChecks} 次，超过 ${MAX_FAILED_CHECKS} 次）：纳入整治单位绩效考核，限期督办。`
      : `第 ${checkCount} 次核查不通过（累计 ${failedChecks} 次）：退回整治。`,
  };
  if (underSupervision) {
    const unit = text(input.responsibleUnit);
    if (!unit) throw new RuleViolation(`纳入绩效考核须有整治单位，但事件没有记录责任单位（${SOURCE_GRID_CHECK}）`, SOURCE_GRID_CHECK);
    const at = now.toISOString();
    const earlier = input.appraisalRecord && typeof input.appraisalRecord === 'object' ? (input.appraisalRecord as Partial<AppraisalRecord>) : null;
    result.appraisalRecord = {
      unit,
      eventNo: input.businessKey ?? null,
      eventType: EVENT_TYPE_NAMES[text(input.eventType)] ?? text(input.eventType),
      place: text(input.place),
      reason: `核查超过三次仍达不到结案标准（累计核查不通过 ${failedChecks} 次），纳入整治单位绩效考核，限期督办`,
      failedChecks,
      at: earlier?.at && earlier.unit === unit ? earlier.at : at,
      lastFailedAt: at,
      source: SOURCE_GRID_CHECK,
    };
  }
  return result;
}

/** Topic `grid-event-register`. Inputs: eventType, place, description, urgency, minorEvent, minorListItem, reportedDepartments. */
export const gridEventRegister: ServiceHandler = ({ inputs, now }) => ({ ...registerEvent(inputs, now) });

/** Topic `grid-event-fast-report`. Inputs: reportedDepartments, eventSummary. */
export const gridEventFastReport: ServiceHandler = ({ inputs, now }) => fastReport(inputs, now);

/** Topic `grid-event-check`. Inputs: decision, opinion, failedChecks, checkCount, responsibleUnit, eventType, place, appraisalRecord. */
export const gridEventCheck: ServiceHandler = ({ inputs, now, instance }) => {
  const result = recordCheck({ ...inputs, businessKey: instance.businessKey }, now);
  return { ...result };
};

/** Service-task handlers of the grid-event process (docs/PROCESSES.md). */
export const gridEventHandlers: Record<string, ServiceHandler> = {
  'grid-event-register': gridEventRegister,
  'grid-event-fast-report': gridEventFastReport,
  'grid-event-check': gridEventCheck,
};
