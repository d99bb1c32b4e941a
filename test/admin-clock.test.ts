import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp } from '../server/app.js';
import { readConfig } from '../server/config.js';
import { systemClock } from '../server/engine/clock.js';
import { ProcessDriver } from './support/process-driver.js';
import { csrfOf, signedInAgent } from './support/web-session.js';

// 平台时钟 (/admin/clock): the platform's time in Beijing; under CLOCK=manual, moved on or set by the admin with the
// session's CSRF token, stored, and the timers then due fired.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('admin_clock', '2026-03-02T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

async function signIn(username: string, app = d.app) {
  const { agent } = await signedInAgent(app, username);
  const clock = await agent.get('/admin/clock');
  return { agent, csrf: csrfOf(clock.text), page: clock };
}

const stored = async () => (await d.database.db.collection('settings').findOne({ _id: 'clock' as never }))?.now as Date;

describe('the admin clock page', () => {
  it('shows the platform time in Beijing, with the weekday, and the two forms', async () => {
    const { page } = await signIn('admin');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>平台时钟 · 社区治理流程平台</title>');
    expect(page.text).toContain('<time id="clock_now">2026-03-02 09:00（星期一）</time>');
    expect(page.text).toContain('<a href="/admin/clock" aria-current="page">平台时钟</a>');
    expect(page.text).toContain('action="/admin/clock/advance"');
    expect(page.text).toContain('action="/admin/clock/set"');
    expect(page.text).toContain('value="2026-03-02"');
  });

  it('is for administrators only, and refuses a post without the session’s CSRF token', async () => {
    const staff = await signIn('street-office');
    expect(staff.page.status).toBe(403);
    const { agent } = await signIn('admin');
    const forged = await agent.post('/admin/clock/advance').type('form').send({ amount: '1', unit: 'days' });
    expect(forged.status).toBe(403);
    expect(d.clock.now().toISOString()).toBe('2026-03-02T01:00:00.000Z');
  });

  it('refuses what is not a duration or a day at the field, keeping what was typed', async () => {
    const { agent, csrf } = await signIn('admin');
    const zero = await agent.post('/admin/clock/advance').type('form').send({ _csrf: csrf, amount: '0', unit: 'days' });
    expect(zero.status).toBe(400);
    expect(zero.text).toContain('<p class="error" id="clock_amount_error">请填写 1 至 3660 之间的整数（天）</p>');
    expect(zero.text).toContain('id="clock_amount" name="amount" value="0"');
    const tooMuch = await agent.post('/admin/clock/advance').type('form').send({ _csrf: csrf, amount: '11', unit: 'years' });
    expect(tooMuch.text).toContain('请填写 1 至 10 之间的整数（年）');
    expect(tooMuch.text).toContain('<option value="years" selected>');
    const noDay = await agent.post('/admin/clock/set').type('form').send({ _csrf: csrf, date: '2026-02-30', time: '09:00' });
    expect(noDay.status).toBe(400);
    expect(noDay.text).toContain('<p class="error" id="clock_date_error">没有这一天：2026-02-30</p>');
    expect(noDay.text).toContain('id="clock_date" name="date" value="2026-02-30"');
    const badTime = await agent.post('/admin/clock/set').type('form').send({ _csrf: csrf, date: '2026-03-05', time: '25:00' });
    expect(badTime.text).toContain('请填写时间，格式为 时:分，如 09:00');
    expect(d.clock.now().toISOString()).toBe('2026-03-02T01:00:00.000Z');
  });

  it('moves the clock on, stores it and fires the timers now due: the vote opens after the voter list’s publicity', async () => {
    const inst = await d.start('street-office', 'committee-election', { communityName: '翠湖', households: 1200, committeeSize: 5, sizeReason: '宜设 5 人' }, 'AC-P2');
    await d.complete('resident-reps', inst.id, 'sizeConsent', { repsMeetingDate: '2026-03-02', repsTotal: 40, repsConsenting: 30 });
    await d.complete('residents-committee', inst.id, 'registerVoters', { electorateType: 'all-voters', registeredVoters: 1000, electionDate: '2026-03-23' });
    await d.complete('residents-committee', inst.id, 'nominateCandidates', { candidateList: '张伟\n李娜\n王芳\n刘洋\n陈静', candidateGuidance: true });
    expect((await d.instance(inst.id)).activeElements).toEqual(['voterListPublicity']);

    const { agent, csrf } = await signIn('admin');
    const moved = await agent.post('/admin/clock/advance').type('form').send({ _csrf: csrf, amount: '20', unit: 'days' });
    expect(moved.status).toBe(303);
    expect(moved.headers.location).toBe('/admin/clock');
    expect(d.clock.now().toISOString()).toBe('2026-03-22T01:00:00.000Z');
    expect((await stored()).toISOString()).toBe('2026-03-22T01:00:00.000Z');
    const after = await agent.get('/admin/clock');
    expect(after.text).toContain('已向后推移 20 天：平台时间现为北京时间 2026-03-22 09:00（星期日），没有到期的计时。');
    expect(after.text).toContain('<time id="clock_now">2026-03-22 09:00（星期日）</time>');

    // the publicity ends at the end of 22 March: set the clock to the first minute of the 23rd
    const set = await agent.post('/admin/clock/set').type('form').send({ _csrf: csrf, date: '2026-03-23', time: '00:01' });
    expect(set.status).toBe(303);
    expect(d.clock.now().toISOString()).toBe('2026-03-22T16:01:00.000Z');
    expect((await agent.get('/admin/clock')).text).toContain('已设定为 2026-03-23 00:01：平台时间现为北京时间 2026-03-23 00:01（星期一），1 个流程的到期计时已触发。');
    expect((await d.instance(inst.id)).openTasks.map((t) => t.elementId)).toEqual(['vote']);
  });

  it('under the system clock shows the time and no forms, and refuses to move it', async () => {
    const app = createApp({ runtime: d.runtime, db: d.database.db, config: readConfig({}), clock: systemClock });
    const { agent, page } = await signIn('admin', app);
    expect(page.status).toBe(200);
    expect(page.text).toContain('平台使用系统时钟');
    expect(page.text).not.toContain('action="/admin/clock/advance"');
    const refused = await agent.post('/admin/clock/advance').type('form').send({ _csrf: csrfOf(page.text), amount: '1', unit: 'days' });
    expect(refused.status).toBe(409);
  });
});
