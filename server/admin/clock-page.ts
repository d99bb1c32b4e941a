import type { Request, Response, Router } from 'express';
import { clockControlOf } from '../http/clock-control.js';
import type { AppDeps } from '../http/settings.js';
import { formatDateTime, formatDay } from '../web/views.js';
import type { PageData } from '../web/views.js';

/**
 * 平台时钟 (`/admin/clock`): the platform's time in Beijing, and under CLOCK=manual two forms that move it — on by
 * a number of minutes … years, or to a day and time in Beijing — each a CSRF-protected post that stores the time and
 * fires the timers now due, as `POST /api/admin/clock` does.
 */

type Render = (req: Request, res: Response, name: string, title: string, data: PageData, status?: number) => Promise<void>;

/** The units offered for moving the clock on, with the ISO 8601 duration each builds and the most it takes at once. */
const UNITS: Record<string, { name: string; iso: (n: number) => string; max: number }> = {
  minutes: { name: '分钟', iso: (n) => `PT${n}M`, max: 1440 },
  hours: { name: '小时', iso: (n) => `PT${n}H`, max: 720 },
  days: { name: '天', iso: (n) => `P${n}D`, max: 3660 },
  weeks: { name: '周', iso: (n) => `P${n}W`, max: 520 },
  months: { name: '个月', iso: (n) => `P${n}M`, max: 120 },
  years: { name: '年', iso: (n) => `P${n}Y`, max: 10 },
};

const WEEKDAYS = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];

function weekdayOf(instant: Date): string {
  return WEEKDAYS[new Date(instant.getTime() + 8 * 3600_000).getUTCDay()]!;
}

function bodyText(req: Request, name: string): string {
  const b: unknown = req.body;
  const value = b && typeof b === 'object' ? (b as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value.trim() : '';
}

interface ClockForm {
  amount: string;
  unit: string;
  date: string;
  time: string;
  errors: { amount?: string; date?: string; time?: string };
  /** Which form the errors belong to. */
  form?: 'advance' | 'set';
}

export function registerClockPage(router: Router, deps: AppDeps, render: Render, saveFlash: (req: Request, flash: string) => Promise<void>): void {
  const control = clockControlOf(deps.clock, deps.db, deps.runtime);

  async function show(req: Request, res: Response, form: Partial<ClockForm> = {}, status = 200) {
    const now = deps.clock.now();
    await render(
      req,
      res,
      'clock',
      '平台时钟',
      {
        section: { clock: true },
        manual: !!control,
        now: `${formatDateTime(now)}（${weekdayOf(now)}）`,
        units: Object.entries(UNITS).map(([id, unit]) => ({ id, name: unit.name, selected: id === (form.unit || 'days') })),
        amount: form.amount ?? '1',
        date: form.date ?? formatDay(now),
        time: form.time ?? formatDateTime(now).slice(11),
        errors: form.errors ?? {},
        form: form.form ?? '',
      },
      status,
    );
  }

  router.get('/admin/clock', (req, res) => show(req, res));

  async function moved(req: Request, res: Response, change: { advance: string } | { set: Date }, what: string) {
    const { now, fired } = await control!.move(change);
    await saveFlash(req, `${what}：平台时间现为北京时间 ${formatDateTime(now)}（${weekdayOf(now)}）${fired ? `，${fired} 个流程的到期计时已触发` : '，没有到期的计时'}。`);
    res.redirect(303, '/admin/clock');
  }

  router.post('/admin/clock/advance', async (req, res) => {
    const amount = bodyText(req, 'amount');
    const unitId = bodyText(req, 'unit');
    const unit = UNITS[unitId];
    const form: ClockForm = { amount, unit: unitId, date: bodyText(req, 'date'), time: bodyText(req, 'time'), errors: {}, form: 'advance' };
    if (!control) return show(req, res, { ...form, errors: { amount: '平台使用系统时钟，不能调整' } }, 409);
    const n = /^\d{1,5}$/.test(amount) ? Number(amount) : Number.NaN;
    if (!unit) form.errors.amount = '请选择时间单位';
    else if (!Number.isInteger(n) || n < 1 || n > unit.max) form.errors.amount = `请填写 1 至 ${unit.max} 之间的整数（${unit.name}）`;
    if (form.errors.amount) return show(req, res, form, 400);
    await moved(req, res, { advance: unit!.iso(n) }, `已向后推移 ${n} ${unit!.name}`);
  });

  router.post('/admin/clock/set', async (req, res) => {
    const date = bodyText(req, 'date');
    const time = bodyText(req, 'time') || '00:00';
    const form: ClockForm = { amount: bodyText(req, 'amount'), unit: bodyText(req, 'unit'), date, time, errors: {}, form: 'set' };
    if (!control) return show(req, res, { ...form, errors: { date: '平台使用系统时钟，不能调整' } }, 409);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) form.errors.date = '请填写日期，格式为 年-月-日，如 2026-03-23';
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) form.errors.time = '请填写时间，格式为 时:分，如 09:00';
    const target = new Date(`${date}T${time}:00+08:00`);
    if (!form.errors.date && (Number.isNaN(target.getTime()) || formatDay(target) !== date)) form.errors.date = `没有这一天：${date}`;
    if (form.errors.date || form.errors.time) return show(req, res, form, 400);
    await moved(req, res, { set: target }, `已设定为 ${date} ${time}`);
  });
}
