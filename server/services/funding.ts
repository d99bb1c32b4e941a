import { addCalendarDays, addMonths, chinaDayOf, endOfChinaDay, formatIsoDay, parseDay, shiftDays } from '../notices/calendar.js';
import { count } from './deliberation.js';
import { RuleViolation, type ServiceHandler } from './types.js';

/**
 * P4 社区精神康复综合服务中心: purchase-of-service money, the city–district split, staffing, and the yearly contract
 * cycle (three years, signed every year, renewed only after a passed year-end evaluation).
 *
 * Source: 《社区建设方案》篇1（社区精神康复综合服务中心建设工作方案）. Every number below is the policy's own and
 * carries its clause; the monthly rate is also a process variable (`monthlyRate`, default 400) because the policy
 * says it will rise "视财政承受能力".
 */

const DOC = '《社区建设方案》篇1（社区精神康复综合服务中心建设工作方案）';
export const SOURCE_FUNDS = `${DOC}四(一)`;
export const SOURCE_FACILITY = `${DOC}四(二)`;
export const SOURCE_INSPECTION_FUNDS = `${DOC}四(四)`;
export const SOURCE_STAFFING = `${DOC}二(二)`;
export const SOURCE_CYCLE = `${DOC}三(四)2`;
export const SOURCE_INSPECTION = `${DOC}三(五)`;

/** 每接收一个服务对象按 400 元/月 (四(一)). */
export const DEFAULT_MONTHLY_RATE = 400;
/** 服务容量低限标准为 100 人，上限为 200 人 (四(一)). */
export const CAPACITY_FLOOR = 100;
export const CAPACITY_CAP = 200;
/** 每年为接收的服务对象提供 12 个月的服务 (四(一)). */
export const MONTHS_PER_YEAR = 12;
/** 按照每个中心一次性 25 万元的标准安排设施经费 (四(二)). */
export const FACILITY_FUNDS = 250_000;
/** 第三方机构服务质量监察经费按当年市区两级购买服务总资金量的 2% 安排 (四(四)). */
export const INSPECTION_PERCENT = 2;
/** 工作人员应不少于 8 人，2/3 以上为社会服务领域相关专业人员、1/2 以上为社会工作专业人员 (二(二)). */
export const MIN_STAFF = 8;
/** 合约以三年为一个周期，周期内每年一签 (三(四)2). */
export const CYCLE_YEARS = 3;

export interface DistrictSplit {
  id: string;
  name: string;
  /** City share in tenths. */
  city: number;
  /** District share in tenths. */
  district: number;
}

/** 市本级财政与各区（县级市）负担比例 (四(一)). */
export const DISTRICT_SPLITS: readonly DistrictSplit[] = [
  { id: 'yuexiu', name: '越秀区', city: 5, district: 5 },
  { id: 'haizhu', name: '海珠区', city: 5, district: 5 },
  { id: 'liwan', name: '荔湾区', city: 5, district: 5 },
  { id: 'baiyun', name: '白云区', city: 5, district: 5 },
  { id: 'tianhe', name: '天河区', city: 4, district: 6 },
  { id: 'huangpu', name: '黄埔区', city: 4, district: 6 },
  { id: 'panyu', name: '番禺区', city: 4, district: 6 },
  { id: 'huadu', name: '花都区', city: 4, district: 6 },
  { id: 'conghua', name: '从化市', city: 8, district: 2 },
  { id: 'zengcheng', name: '增城市', city: 6, district: 4 },
  { id: 'nansha', name: '南沙区', city: 0, district: 10 },
  { id: 'luogang', name: '萝岗区', city: 0, district: 10 },
];

/** A district by id (`tianhe`) or name (`天河区`, `天河`). */
export function findDistrict(value: unknown): DistrictSplit {
  const text = typeof value === 'string' ? value.trim() : '';
  const found = DISTRICT_SPLITS.find(
    (d) => d.id === text.toLowerCase() || d.name === text || d.name.slice(0, -1) === text,
  );
  if (!found) {
    throw new RuleViolation(`“${text || '未填写'}”不在市区两级经费分担比例表中（${SOURCE_FUNDS}）`, SOURCE_FUNDS);
  }
  return found;
}

/** Amounts are whole yuan (every amount at the policy's rate is a whole number of yuan anyway). */
const yuan = (n: number) => Math.round(n);

export interface FundingInput {
  /** Clients served (for a plan: clients planned; for a settlement: the actual number). */
  clients: unknown;
  /** Months served in the year (0–12). */
  months: unknown;
  district: unknown;
  /** Yuan per client per month (default 400). */
  rate?: unknown;
  /** Include the one-off facility funds (first year of a new centre). */
  includeFacility?: unknown;
}

export interface Funding {
  districtName: string;
  splitRatio: string;
  monthlyRate: number;
  fundedClients: number;
  basicFunds: number;
  performanceFunds: number;
  fundingTotal: number;
  cityShare: number;
  districtShare: number;
  inspectionFunds: number;
  facilityFunds: number;
}

/**
 * One centre's purchase-of-service funds for one year (四(一)(二)(四)):
 * - basic operating funds = 100 clients × 12 months × rate (480,000 at 400), whatever the intake;
 * - performance funds = (clients above 100, counting at most 200) × months served × rate;
 * - both are shared city : district by the district's ratio;
 * - third-party inspection funds = 2% of the year's total purchase funds (basic + performance);
 * - facility funds 250,000 once per centre.
 */
export function computeFunding(input: FundingInput): Funding {
  const clients = count(input.clients, '服务对象人数', SOURCE_FUNDS);
  const months = count(input.months, '服务月数', SOURCE_FUNDS);
  if (months > MONTHS_PER_YEAR) {
    throw new RuleViolation(`服务月数（${months}）不能超过一年 12 个月（${SOURCE_FUNDS}）`, SOURCE_FUNDS);
  }
  const rate = input.rate === null || input.rate === undefined || input.rate === '' ? DEFAULT_MONTHLY_RATE : Number(input.rate);
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new RuleViolation(`服务经费标准（元/人/月）必须大于 0，实际为“${String(input.rate)}”（${SOURCE_FUNDS}）`, SOURCE_FUNDS);
  }
  const district = findDistrict(input.district);
  const fundedClients = Math.min(clients, CAPACITY_CAP);
  const basicFunds = yuan(CAPACITY_FLOOR * MONTHS_PER_YEAR * rate);
  const performanceFunds = yuan(Math.max(0, fundedClients - CAPACITY_FLOOR) * months * rate);
  const fundingTotal = yuan(basicFunds + performanceFunds);
  const cityShare = yuan((fundingTotal * district.city) / 10);
  const districtShare = yuan(fundingTotal - cityShare);
  return {
    districtName: district.name,
    splitRatio: `${district.city}:${district.district}`,
    monthlyRate: rate,
    fundedClients,
    basicFunds,
    performanceFunds,
    fundingTotal,
    cityShare,
    districtShare,
    inspectionFunds: yuan((fundingTotal * INSPECTION_PERCENT) / 100),
    facilityFunds: input.includeFacility === true ? FACILITY_FUNDS : 0,
  };
}

export interface StaffingInput {
  staffCount: unknown;
  relatedStaff: unknown;
  socialWorkStaff: unknown;
}

/** 二(二): at least 8 staff; at least 2/3 in related social-service fields; at least 1/2 social-work professionals (以上 includes the bound). */
export function checkStaffing(input: StaffingInput) {
  const staff = count(input.staffCount, '工作人员总数', SOURCE_STAFFING);
  const related = count(input.relatedStaff, '社会服务领域相关专业人员数', SOURCE_STAFFING);
  const social = count(input.socialWorkStaff, '社会工作专业人员数', SOURCE_STAFFING);
  if (related > staff || social > staff) {
    throw new RuleViolation(`专业人员数不能多于工作人员总数（${staff}），人数不一致（${SOURCE_STAFFING}）`, SOURCE_STAFFING);
  }
  const issues: string[] = [];
  if (staff < MIN_STAFF) issues.push(`工作人员 ${staff} 人，少于 ${MIN_STAFF} 人`);
  if (related * 3 < staff * 2) issues.push(`社会服务领域相关专业人员 ${related} 人，不足总数的 2/3`);
  if (social * 2 < staff) issues.push(`社会工作专业人员 ${social} 人，不足总数的 1/2`);
  return {
    staffingCompliant: issues.length === 0,
    staffingIssues: issues.length ? `${issues.join('；')}（${SOURCE_STAFFING}）` : '人员配备符合要求',
  };
}

/** Dates of one contract year, from its first day (三(四)2, 三(五), 四(一)). */
export function serviceYear(startValue: unknown, windowValue: unknown) {
  const start = parseDay(startValue);
  if (!start) throw new RuleViolation(`服务年度起始日期“${String(startValue)}”无效（${SOURCE_CYCLE}）`, SOURCE_CYCLE);
  const window =
    windowValue === null || windowValue === undefined || windowValue === '' ? 30 : count(windowValue, '监察办理期限（天）', SOURCE_INSPECTION);
  if (window < 1 || window > 90) {
    throw new RuleViolation(`监察办理期限应在 1 至 90 天之间，实际为 ${window} 天（${SOURCE_INSPECTION}）`, SOURCE_INSPECTION);
  }
  const midYear = addMonths(start, 6);
  const nextStart = addMonths(start, 12);
  const lastDay = shiftDays(nextStart, -1);
  const end = endOfChinaDay(chinaDayOf(lastDay));
  const endDay = chinaDayOf(end);
  // 每年1月30日前对上一年的购买服务资金清算: 30 January of the year after the calendar year in which the service
  // year ends (a calendar-year contract ending 31 December 2025 is settled by 30 January 2026).
  const settlementDue = endOfChinaDay({ year: endDay.year + 1, month: 1, day: 30 });
  return {
    serviceYearStart: formatIsoDay(start),
    midYearInspectionAt: midYear.toISOString(),
    midYearInspectionDueAt: addCalendarDays(midYear, window).toISOString(),
    yearEndInspectionAt: shiftDays(nextStart, -window).toISOString(),
    serviceYearEndsAt: end.toISOString(),
    nextServiceYearStart: formatIsoDay(nextStart),
    settlementDueAt: settlementDue.toISOString(),
  };
}

/** 三(四)2: pass → renew for the next year; fail → re-procure; after the third year → re-procure. */
export function decideRenewal(input: {
  yearEndResult: unknown;
  staffingCompliant?: unknown;
  contractYear: unknown;
  cycleYears?: unknown;
  nextServiceYearStart?: unknown;
}) {
  const year = count(input.contractYear, '合约年度', SOURCE_CYCLE);
  const cycleYears =
    input.cycleYears === null || input.cycleYears === undefined || input.cycleYears === '' ? CYCLE_YEARS : count(input.cycleYears, '合约周期年数', SOURCE_CYCLE);
  if (year < 1 || year > cycleYears) {
    throw new RuleViolation(`合约年度（${year}）应在 1 至 ${cycleYears} 之间（${SOURCE_CYCLE}）`, SOURCE_CYCLE);
  }
  if (input.yearEndResult !== 'pass' && input.yearEndResult !== 'fail') {
    throw new RuleViolation(`年终评估结论“${String(input.yearEndResult)}”无效，应为合格或不合格（${SOURCE_CYCLE}）`, SOURCE_CYCLE);
  }
  const passed = input.yearEndResult === 'pass';
  const staffingOk = input.staffingCompliant !== false;
  let renewalReason: string;
  if (!passed) renewalReason = '年终评估不合格，不予续签，按照政府采购工作程序重新确定运营机构';
  else if (!staffingOk) renewalReason = '人员配备不符合要求，不予续签，按照政府采购工作程序重新确定运营机构';
  else if (year >= cycleYears) renewalReason = `${cycleYears} 年合约周期期满，按照政府采购工作程序重新确定运营机构`;
  else renewalReason = `年终评估合格，续签第 ${year + 1} 年合约`;
  const renew = passed && staffingOk && year < cycleYears;
  return {
    renew,
    reprocure: !renew,
    finishedContractYear: year,
    contractYear: renew ? year + 1 : year,
    renewalDecision: renew ? '续签' : '重新采购',
    renewalReason,
    // The next contract year (renewed, or the first with a newly procured provider) starts where this one ends.
    ...(typeof input.nextServiceYearStart === 'string' && input.nextServiceYearStart ? { serviceYearStart: input.nextServiceYearStart } : {}),
  };
}

/** Topic `p4-funding`: the year's planned funds. Inputs: clients, months, district, rate, includeFacility. */
export const p4Funding: ServiceHandler = ({ inputs }) => ({ ...computeFunding(inputs as unknown as FundingInput) });

/**
 * Topic `p4-settlement`: settlement on actuals (基本运营服务经费超支不补、结余留用，绩效运营服务经费按实际清算).
 * Inputs: clients, months, district, rate, plannedPerformanceFunds. Returns `settled*` variables.
 */
export const p4Settlement: ServiceHandler = ({ inputs }) => {
  const funding = computeFunding({ ...(inputs as unknown as FundingInput), includeFacility: false });
  const planned = Number(inputs.plannedPerformanceFunds);
  return {
    settledClients: funding.fundedClients,
    settledBasicFunds: funding.basicFunds,
    settledPerformanceFunds: funding.performanceFunds,
    settledTotal: funding.fundingTotal,
    settledCityShare: funding.cityShare,
    settledDistrictShare: funding.districtShare,
    settledInspectionFunds: funding.inspectionFunds,
    performanceAdjustment: Number.isFinite(planned) ? yuan(funding.performanceFunds - planned) : null,
  };
};

/** Topic `p4-staffing-check`. Inputs: staffCount, relatedStaff, socialWorkStaff. */
export const p4StaffingCheck: ServiceHandler = ({ inputs }) => ({ ...checkStaffing(inputs as unknown as StaffingInput) });

/** Topic `p4-new-cycle`: a new procurement starts a new three-year cycle at contract year 1. Inputs: cycle. */
export const p4NewCycle: ServiceHandler = ({ inputs }) => {
  const previous = inputs.cycle === null || inputs.cycle === undefined ? 0 : count(inputs.cycle, '采购周期序号', SOURCE_CYCLE);
  return { cycle: previous + 1, contractYear: 1 };
};

/** Topic `p4-service-year`: inspection and settlement dates of a contract year. Inputs: serviceYearStart, inspectionWindowDays. */
export const p4ServiceYear: ServiceHandler = ({ inputs }) => serviceYear(inputs.serviceYearStart, inputs.inspectionWindowDays);

/** Topic `p4-renewal`. Inputs: yearEndResult, staffingCompliant, contractYear, cycleYears, nextServiceYearStart. */
export const p4Renewal: ServiceHandler = ({ inputs }) =>
  decideRenewal({
    yearEndResult: inputs.yearEndResult,
    staffingCompliant: inputs.staffingCompliant,
    contractYear: inputs.contractYear,
    cycleYears: inputs.cycleYears,
    nextServiceYearStart: inputs.nextServiceYearStart,
  });

export const fundingHandlers: Record<string, ServiceHandler> = {
  'p4-funding': p4Funding,
  'p4-settlement': p4Settlement,
  'p4-staffing-check': p4StaffingCheck,
  'p4-new-cycle': p4NewCycle,
  'p4-service-year': p4ServiceYear,
  'p4-renewal': p4Renewal,
};
