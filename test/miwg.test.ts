import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type express from 'express';
import request from 'supertest';
import type { Database } from '../server/db/connect.js';
import { serviceHandlers } from '../server/services/registry.js';
import { testApp } from './support/app.js';
import { testDatabase } from './support/db.js';

/**
 * Every diagram of the BPMN Model Interchange Working Group (../shared/miwg, the reference suite modeling tools test
 * against) through POST /api/processes as it is, bytes and all: after the conversions each either deploys, or is
 * refused only for named execution gaps — never for its encoding, its expression syntax or its labels. The results
 * must be the table in docs/ADMIN.md ("Diagrams made elsewhere"), which this test prints when they differ.
 */

const MIWG = path.resolve('../shared/miwg');
const ADMIN_DOC = path.resolve('docs/ADMIN.md');

/** The refusal reasons that name an execution gap, as the table says them. */
const GAPS: Record<string, string> = {
  'lint/platform/user-task-assignment': 'no assignee',
  'lint/platform/user-task-form': 'no form',
  'lint/platform/service-task-topic': 'no service handler',
  'bpmn/unknown-topic': 'unknown service handler',
  'lint/platform/supported-elements': 'element the engine does not run here',
  'lint/platform/no-javascript-condition': 'expression in another language',
  'lint/platform/no-script-task': 'script',
  'lint/platform/iso-8601': 'timer without an ISO 8601 time',
  'bpmn/no-executable-process': 'no process marked executable',
  'bpmn/multiple-executable-processes': 'several executable processes',
  'lint/conditional-flows': 'branch without a condition',
  'lint/start-event-required': 'missing start event',
  'lint/no-implicit-start': 'implicit start',
  'lint/no-disconnected': 'disconnected element',
  'lint/no-complex-gateway': 'complex gateway',
  'lint/no-gateway-join-fork': 'gateway joining and forking',
  'lint/event-based-gateway': 'event-based gateway misused',
  'lint/link-event': 'unpaired link event',
  'lint/single-blank-start-event': 'several blank start events',
  'lint/single-event-definition': 'event with several definitions',
  'lint/sub-process-blank-start-event': 'sub-process start event with a trigger',
  'lint/event-sub-process-typed-start-event': 'event sub-process without a trigger',
  'lint/ad-hoc-sub-process': 'ad-hoc sub-process misused',
  'lint/no-duplicate-sequence-flows': 'duplicate sequence flows',
  'form/invalid': 'form the platform cannot show',
};

/** Never a reason to refuse a diagram from another tool once converted: encoding, reading, expression syntax, labels. */
const NEVER = /^(xml\/|moddle\/|lint\/label-required$|lint\/platform\/feel-expressions$)/;

interface Problem {
  code: string;
  severity?: string;
}

let database: Database;
let app: express.Express;
let token = '';

beforeAll(async () => {
  database = await testDatabase();
  ({ app } = await testApp(database, { services: { ...serviceHandlers } }));
  token = (await request(app).post('/api/auth/login').send({ username: 'admin', password: 'demo' })).body.token;
});

afterAll(async () => {
  await database.close();
});

function row(file: string, status: number, body: Record<string, any>): string {
  const error = body.error ?? {};
  const conversion = (status === 201 ? body.conversion : error.conversion) ?? { converted: [], dropped: [] };
  const warnings: Problem[] = (status === 201 ? body.warnings : error.warnings) ?? [];
  const counts = new Map<string, number>();
  for (const p of (error.errors ?? []) as Problem[]) {
    if (p.code === 'problems/truncated') continue;
    const gap = GAPS[p.code] ?? `UNEXPECTED ${p.code}`;
    counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  const gaps = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([gap, n]) => `${gap} (${n})`).join('; ');
  const result = status === 201 ? 'deploys' : status === 400 ? 'refused' : `HTTP ${status}`;
  return `| ${file} | ${result} | ${gaps || '—'} | ${conversion.converted.length} | ${conversion.dropped.length} | ${warnings.length} |`;
}

function documentedRows(): string[] {
  const doc = readFileSync(ADMIN_DOC, 'utf8');
  const table = /<!-- miwg-results:start -->([\s\S]*?)<!-- miwg-results:end -->/.exec(doc)?.[1] ?? '';
  return table.split('\n').filter((line) => /^\| [A-C]\.\d\.\d\.bpmn /.test(line));
}

describe('the MIWG reference diagrams', () => {
  it('each deploys or is refused only for named execution gaps, as docs/ADMIN.md says', async () => {
    if (!existsSync(MIWG)) {
      console.warn(`MIWG diagrams not found at ${MIWG}: skipped`);
      return;
    }
    const files = readdirSync(MIWG).filter((f) => f.endsWith('.bpmn')).sort();
    expect(files).toHaveLength(21);
    const rows: string[] = [];
    for (const file of files) {
      const res = await request(app)
        .post('/api/processes')
        .set('Authorization', `Bearer ${token}`)
        .type('application/xml')
        .send(readFileSync(path.join(MIWG, file)));
      expect([file, [201, 400].includes(res.status)]).toEqual([file, true]);
      const errors: Problem[] = res.body.error?.errors ?? [];
      // refused for what blocks execution only, and each reason named
      expect([file, errors.filter((p) => NEVER.test(p.code)).map((p) => p.code)]).toEqual([file, []]);
      expect([file, errors.filter((p) => p.code !== 'problems/truncated' && !GAPS[p.code]).map((p) => p.code)]).toEqual([file, []]);
      if (res.status === 400) expect(errors.length).toBeGreaterThan(0);
      rows.push(row(file, res.status, res.body));
    }
    const documented = documentedRows();
    if (documented.join('\n') !== rows.join('\n')) {
      console.log(`docs/ADMIN.md should list:\n${rows.join('\n')}`);
    }
    expect(documented).toEqual(rows);
  });
});
