import { addCalendarDays, addWorkingDays, formatChineseDate, holidayTableCovers } from '../notices/calendar.js';
import { renderNotice } from '../notices/render.js';
import { RuleViolation, type ServiceHandler } from './types.js';

/**
 * Topic `publish-notice` (公示): renders `forms/notices/<template>.hbs` and queues the notice; the runtime stores it
 * when the step commits, so a retried step never publishes twice.
 *
 * Input parameters:
 * - `template`  file name in forms/notices without `.hbs` (required)
 * - `title`     notice title (required)
 * - `kind`      kind of notice, e.g. `election-result` (required)
 * - `days`      publicity period in calendar days, or
 * - `workingDays` publicity period in working days (Monday–Friday without statutory holidays, plus adjusted
 *               working weekends, per the holiday table of server/notices/holidays.ts) — exactly one of the two
 * - `endsAtVariable` name of the variable that receives the end of the period (default `noticeEndsAt`), e.g.
 *               `publicityEndsAt` for a timer `${publicityEndsAt}` that waits until the publicity is over
 * - any other input is passed to the template by name, after the instance variables.
 *
 * The period starts the day after publication and ends at 23:59:59.999 (China time) of its last day.
 * Returns `noticePublishedAt`, `noticeEndsAt` and the `endsAtVariable` (ISO date-times).
 */

const RESERVED = new Set(['template', 'title', 'kind', 'days', 'workingDays', 'endsAtVariable']);
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function period(value: unknown, what: string): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 365) {
    throw new RuleViolation(`公示期（${what}）必须是 1 至 365 之间的整数，实际为“${String(value)}”`);
  }
  return n;
}

export const publishNotice: ServiceHandler = (ctx) => {
  const { inputs, now } = ctx;
  const template = typeof inputs.template === 'string' ? inputs.template.trim() : '';
  const title = typeof inputs.title === 'string' ? inputs.title.trim() : '';
  const kind = typeof inputs.kind === 'string' ? inputs.kind.trim() : '';
  if (!template || !title || !kind) {
    throw new Error('公示服务任务缺少输入参数 template、title 或 kind');
  }
  const days = period(inputs.days, '天');
  const workingDays = period(inputs.workingDays, '工作日');
  if ((days === null) === (workingDays === null)) {
    throw new Error('公示服务任务须设置且只设置 days（自然日）或 workingDays（工作日）之一');
  }
  const endsAtVariable = typeof inputs.endsAtVariable === 'string' && inputs.endsAtVariable.trim() ? inputs.endsAtVariable.trim() : 'noticeEndsAt';
  if (!IDENTIFIER.test(endsAtVariable)) throw new Error(`endsAtVariable“${endsAtVariable}”不是有效的变量名`);

  const publishedAt = new Date(now.getTime());
  const endAt = workingDays !== null ? addWorkingDays(publishedAt, workingDays) : addCalendarDays(publishedAt, days!);
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) if (!RESERVED.has(key)) extra[key] = value;
  const notice = {
    title,
    kind,
    publishedAt: publishedAt.toISOString(),
    endAt: endAt.toISOString(),
    publishedOn: formatChineseDate(publishedAt),
    endsOn: formatChineseDate(endAt),
    period: workingDays !== null ? `${workingDays} 个工作日` : `${days} 日`,
    processName: ctx.instance.processName,
    businessKey: ctx.instance.businessKey,
    source: ctx.element.documentation ? ctx.element.documentation.split('\n')[0].trim() : null,
  };
  const body = renderNotice(template, { ...ctx.variables, ...extra, notice });
  ctx.publishNotice({
    kind,
    title,
    body,
    publishedAt,
    endAt,
    template,
    period: workingDays !== null ? { days: workingDays, workingDays: true } : { days: days!, workingDays: false },
  });
  return {
    // A working-day period reaching into a year whose holiday arrangement is not in the table counts weekends only.
    noticeHolidaysKnown: workingDays === null || holidayTableCovers(publishedAt, endAt),
    noticePublishedAt: notice.publishedAt,
    noticeEndsAt: notice.endAt,
    ...(endsAtVariable !== 'noticeEndsAt' ? { [endsAtVariable]: notice.endAt } : {}),
  };
};

export const noticeHandlers: Record<string, ServiceHandler> = {
  'publish-notice': publishNotice,
};
