import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FormSchema } from '../server/forms/schema.js';
import { ProcessDriver } from './support/process-driver.js';
import { csrfOf, signedInAgent } from './support/web-session.js';

// A refused submission comes back as the same form with what was typed and the message at the field: every start
// form of the shipped processes, and the task forms with the date bounds and the table rows.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('web_refusals', '2026-03-02T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

async function signIn(username: string) {
  const { agent } = await signedInAgent(d.app, username);
  const inbox = await agent.get('/tasks');
  expect(inbox.status).toBe(200);
  return { agent, csrf: csrfOf(inbox.text) };
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The `<div class="field…">` … `</div>` block of one input, by its id. */
function fieldBlock(html: string, inputId: string): string {
  const at = html.indexOf(`id="${inputId}"`);
  expect(at).toBeGreaterThan(-1);
  const start = html.lastIndexOf('<div class="field', at);
  const end = html.indexOf('</div>', at);
  return html.slice(start, end);
}

describe('refused start forms keep what was typed, with the message at the field', () => {
  it('for every process', async () => {
    const { agent, csrf } = await signIn('admin');
    const processes = (await d.get('admin', '/api/processes')).body as { key: string }[];
    expect(processes.length).toBe(8);
    for (const { key } of processes) {
      const definition = await d.runtime.getDefinition(key);
      const form = (await d.runtime.listProcesses()).find((p) => p.key === key)!.startForm as FormSchema;
      expect(definition).toBeDefined();
      const body: Record<string, string> = { _csrf: csrf, businessKey: `退回-${key}` };
      const typed: Record<string, string> = {};
      for (const field of form.fields) {
        if (field.constraints.readonly || field.type === 'boolean' || field.type === 'enum') continue;
        // an integer field gets what is not an integer, a date what is not a day: each is refused at its field
        typed[field.id] = field.type === 'long' ? '12x' : field.type === 'date' ? '2026-02-30' : `甲<乙>&"丙"`;
      }
      Object.assign(body, typed);
      const res = await agent.post(`/start/${key}`).type('form').send(body);
      expect(`${key}: ${res.status}`).toBe(`${key}: 400`);
      const prefix = `s_${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      expect(res.text).toContain(`value="退回-${key}"`);
      for (const [id, value] of Object.entries(typed)) {
        const block = fieldBlock(res.text, `${prefix}_${id}`);
        expect(`${key}.${id}: ${block.includes(`>${escape(value)}</textarea>`) || block.includes(`value="${escape(value)}"`)}`).toBe(`${key}.${id}: true`);
        const field = form.fields.find((f) => f.id === id)!;
        if (field.type === 'long' || field.type === 'date') {
          expect(`${key}.${id}: ${block.startsWith('<div class="field invalid"')} ${block.includes(`id="${prefix}_${id}_error"`)}`).toBe(`${key}.${id}: true true`);
        }
      }
    }
  });
});

describe('refused task forms keep what was typed, with the new rules at their fields', () => {
  it('an election day inside the voter list’s publicity, and a wrong row of the vote count', async () => {
    const inst = await d.start('street-office', 'committee-election', { communityName: '翠湖', households: 1200, committeeSize: 5, sizeReason: '宜设 5 人' }, 'WR-P2');
    await d.complete('resident-reps', inst.id, 'sizeConsent', { repsMeetingDate: '2026-03-02', repsTotal: 40, repsConsenting: 30 });
    const { agent, csrf } = await signIn('residents-committee');
    const register = await d.task('residents-committee', inst.id, 'registerVoters');
    await d.claim('residents-committee', register);
    const refused = await agent
      .post(`/tasks/${encodeURIComponent(register.id)}`)
      .type('form')
      .send({ _csrf: csrf, electorateType: 'household-reps', registeredVoters: '860', electionDate: '2026-03-22', voterListNote: '张贴于<公告栏>' });
    expect(refused.status).toBe(400);
    const date = fieldBlock(refused.text, 'f_electionDate');
    expect(date).toContain('<div class="field invalid"');
    expect(date).toContain('value="2026-03-22"');
    expect(date).toContain('min="2026-03-23"');
    expect(date).toContain(
      '<p class="error" id="f_electionDate_error">选举日须晚于选民名单公布期的最后一天（2026-03-22）：名单在本步骤提交后即公布，公布期满后才能投票（实践规则：选民名单在选举日前公布）</p>',
    );
    expect(date).toContain('aria-describedby="f_electionDate_error f_electionDate_dates f_electionDate_help"');
    expect(fieldBlock(refused.text, 'f_registeredVoters')).toContain('value="860"');
    expect(fieldBlock(refused.text, 'f_voterListNote')).toContain('>张贴于&lt;公告栏&gt;</textarea>');
    expect(refused.text).toContain('<option value="household-reps" selected>');

    await agent.post(`/tasks/${encodeURIComponent(register.id)}`).type('form').send({ _csrf: csrf, electorateType: 'all-voters', registeredVoters: '1000', electionDate: '2026-03-23' });
    await d.complete('residents-committee', inst.id, 'nominateCandidates', { candidateList: '张伟\n李娜\n王芳\n刘洋\n陈静', candidateGuidance: true });
    await d.setClock('2026-03-23T09:00:00+08:00');
    const vote = await d.task('residents-committee', inst.id, 'vote');
    await d.claim('residents-committee', vote);
    const counted = await agent
      .post(`/tasks/${encodeURIComponent(vote.id)}`)
      .type('form')
      .send({ _csrf: csrf, voteDate: '2026-03-23', secretBallot: 'true', ballotsCast: '800', validBallots: '790', invalidBallots: '10', candidateVotes: '张伟：700\n李娜 650' });
    expect(counted.status).toBe(400);
    const votes = fieldBlock(counted.text, 'f_candidateVotes');
    expect(votes).toContain('>张伟：700\n李娜 650</textarea>');
    expect(votes).toContain('data-error-row="2"');
    expect(votes).toContain('第 2 行（“李娜 650”）应写成“姓名：票数”');
    expect(fieldBlock(counted.text, 'f_validBallots')).toContain('value="790"');
    expect(counted.text).toMatch(/id="f_secretBallot" name="secretBallot" value="true" checked/);
  });
});
