import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadNoticeTemplates, renderNotice } from '../server/notices/render.js';
import { projectRoot } from '../server/project-root.js';
import { noticeText } from './support/process-driver.js';

// Every notice ends with who issues it and when (落款), says where to object at its own level, and never doubles 社区.

const notice = { title: '标题', publishedOn: '2026年3月2日', endsOn: '2026年3月9日', period: '7 日', source: '《某文件》一' };

/** What each template is given in the tests: the variables its process holds when it publishes. */
const DATA: Record<string, Record<string, unknown>> = {
  'voter-list': { electorateType: 'all-voters', registeredVoters: 1000, committeeSize: 5, electionDate: '2026-03-23' },
  'election-result': { electionRound: 1, registeredVoters: 1000, ballotsCast: 800, validBallots: 790, invalidBallots: 10, seatsToFill: 5, electionValid: true, tallyRows: [], electedThisRound: [], electedMembers: [], seatsRemaining: 5 },
  resolution: { subject: '加装电梯', content: '3栋', budget: 1000, repsMeetingDate: '2026-03-02', resolutionSummary: '通过' },
  'implementation-result': { subject: '加装电梯', completedOn: '2026-04-30', implementationSummary: '完成', budget: 1000, actualSpending: 900 },
  'micro-project-result': { projectName: '照明', proposedBy: '居民', implementationReport: '完成', approvedBudget: 8000, actualCost: 8000 },
  'secondee-appraisal-result': { appraisalYear: 2025, secondeeName: '张伟' },
  'named-pilots': { campaignName: '试点', batch: 1, namedPilots: [], cityName: '昆明市' },
  renewal: { centreName: '康园', finishedContractYear: 1, districtName: '越秀区', yearEndResult: 'pass' },
};

/** The issuing body (落款) and the body named in the contact line, per template: the level the notice is issued at. */
const ISSUER: Record<string, string> = {
  'voter-list': '翠湖社区居民委员会选举委员会',
  'election-result': '翠湖社区居民委员会选举委员会',
  resolution: '翠湖社区居民委员会',
  'implementation-result': '翠湖社区居民委员会',
  'micro-project-result': '翠湖社区居民委员会',
  'secondee-appraisal-result': '翠湖社区党委',
  'named-pilots': '昆明市城乡社区治理工作领导小组办公室',
  renewal: '越秀区残疾人联合会',
};
const CONTACT: Record<string, string> = {
  'voter-list': '翠湖社区居民委员会选举委员会',
  'election-result': '翠湖社区居民委员会选举委员会',
  resolution: '翠湖社区党组织、居民委员会或居务监督委员会',
  'implementation-result': '翠湖社区居务监督委员会',
  'micro-project-result': '翠湖社区居务监督委员会',
  'secondee-appraisal-result': '翠湖社区党委',
  'named-pilots': '昆明市城乡社区治理工作领导小组办公室',
  renewal: '越秀区残疾人联合会',
};

const templates = [...loadNoticeTemplates(path.join(projectRoot(), 'forms', 'notices')).keys()].sort();

describe('notice templates', () => {
  it('every shipped template is covered here', () => {
    expect(templates).toEqual(Object.keys(DATA).sort());
  });

  it.each(templates)('%s ends with the issuing body and the date of publication, and names a contact at its own level', (name) => {
    for (const communityName of ['翠湖社区', '翠湖']) {
      const html = renderNotice(name, { ...DATA[name], communityName, notice });
      const signature = /<footer class="notice-signature">([\s\S]*?)<\/footer>\s*<\/article>$/.exec(html);
      expect(signature).not.toBeNull();
      expect(noticeText(signature![1]!)).toBe(`${ISSUER[name]} 2026年3月2日`);
      expect(noticeText(html)).toMatch(new RegExp(`请在公示期内向${CONTACT[name]}(反映|提出)。`));
      expect(html).not.toContain('社区社区');
    }
  });

  it('a community with no name yet reads 本社区, never a bare 社区', () => {
    const html = renderNotice('resolution', { ...DATA.resolution, notice });
    expect(noticeText(html)).toContain('本社区居民委员会 2026年3月2日');
  });

  it('a template without a 落款 is refused when the templates are loaded', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'notice-signature-'));
    mkdirSync(path.join(dir, 'partials'));
    writeFileSync(path.join(dir, 'partials', 'signature.hbs'), '<footer>{{issuer}}</footer>');
    writeFileSync(path.join(dir, 'plain.hbs'), '<article><h1>{{notice.title}}</h1></article>');
    expect(() => loadNoticeTemplates(dir)).toThrow('公示模板 plain.hbs 没有落款');
    writeFileSync(path.join(dir, 'plain.hbs'), '<article><h1>{{notice.title}}</h1>{{> signature issuer="某单位"}}</article>');
    expect([...loadNoticeTemplates(dir).keys()]).toEqual(['plain']);
    writeFileSync(path.join(dir, 'partials', 'signature.hbs'), '<footer>{{{issuer}}}</footer>');
    expect(() => loadNoticeTemplates(dir)).toThrow(/partials\/signature\.hbs 使用了不转义的输出/);
  });
});

describe('community names in the diagrams', () => {
  const dir = path.join(projectRoot(), 'processes');
  const files = readdirSync(dir).filter((f) => f.endsWith('.bpmn'));

  it('no expression adds 社区 to a community name (the name already ends with it)', () => {
    for (const file of files) expect(`${file}: ${/communityName\s*\+\s*&?#?\d*;?"社区/.test(readFileSync(path.join(dir, file), 'utf8'))}`).toBe(`${file}: false`);
  });

  it('every community name a form takes is kept with one 社区 (format community)', () => {
    const typed = files.flatMap((file) =>
      [...readFileSync(path.join(dir, file), 'utf8').matchAll(/<camunda:formField id="communityName"(?![^>]*defaultValue)[^>]*>([\s\S]*?)<\/camunda:formField>/g)].map(
        (m) => `${file}: ${m[1]!.includes('<camunda:property id="format" value="community" />')}`,
      ),
    );
    expect(typed).toEqual([
      'committee-election.bpmn: true',
      'four-deliberations.bpmn: true',
      'micro-project.bpmn: true',
      'secondee-appraisal.bpmn: true',
    ]);
  });
});
