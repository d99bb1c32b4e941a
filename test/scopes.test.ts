import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Database } from '../server/db/connect.js';
import { ensureIndexes } from '../server/db/collections.js';
import { ManualClock } from '../server/engine/clock.js';
import { setEngineClock } from '../server/engine/clock-timer.js';
import type { Actor } from '../server/runtime/api.js';
import { Runtime } from '../server/runtime/runtime.js';
import type { ServiceHandler } from '../server/services/types.js';
import { scopedReviewProcess } from './support/bpmn.js';
import { testDatabase } from './support/db.js';

/**
 * Variable scopes of a multi-instance embedded sub-process (server/engine/scopes.ts) through the runtime: one
 * review track per team, each with its own `team`, `decision` and service output, collected into `trackResults`
 * when the track ends, and surviving a restart (a new Runtime on the same database).
 */

let database: Database;
const clock = new ManualClock(new Date('2026-09-01T09:00:00+08:00'));
const scored: string[] = [];
const services: Record<string, ServiceHandler> = {
  'test-score': ({ inputs, variables }) => {
    scored.push(`${String(inputs.teamName)}:${String(inputs.decision)}:${String((variables.team as { name: string }).name)}`);
    return { score: String(inputs.teamName).length * 10 };
  },
};
const starter: Actor = { id: 'starter', groups: ['reviewers'], displayName: '发起人' };
const reviewer: Actor = { id: 'reviewer1', groups: ['reviewers'], displayName: '评审一' };
const teams = [
  { name: '北区', due: '2026-09-10T18:00:00+08:00' },
  { name: '南区小组', due: '2026-09-20T18:00:00+08:00' },
];

beforeAll(async () => {
  database = await testDatabase();
  await ensureIndexes(database.db);
  setEngineClock(clock);
  const runtime = await Runtime.create({ db: database.db, clock, services });
  await runtime.deploy(scopedReviewProcess(), null);
}, 60_000);

afterAll(async () => {
  await database?.close();
});

describe('multi-instance sub-process scopes', () => {
  it('gives each track its own variables, collects them when the track ends, and keeps them across a restart', async () => {
    let runtime = await Runtime.create({ db: database.db, clock, services });
    const started = await runtime.startInstance('scoped_review', { businessKey: 'S-1', variables: { teams } }, starter);
    const id = started.instance._id;

    // one review per team, labelled with the team and due when that team's element value says
    const reviews = started.openTasks.filter((t) => t.elementId === 'review').sort((a, b) => String(a.subject).localeCompare(String(b.subject)));
    expect(reviews.map((t) => [t.subject, t.dueAt?.toISOString()])).toEqual([
      ['北区', '2026-09-10T10:00:00.000Z'],
      ['南区小组', '2026-09-20T10:00:00.000Z'],
    ]);
    const north = reviews[0]!;
    const south = reviews[1]!;
    expect(await runtime.taskContext(south)).toMatchObject({ teams, team: teams[1] });

    // north approves: its service sees its own team and decision; south's review stays open
    await runtime.complete(north._id, { decision: 'approve', opinion: '好' }, reviewer);
    expect(scored).toEqual(['北区:approve:北区']);
    let view = await runtime.getInstance(id);
    expect(view.openTasks.map((t) => t._id)).toEqual([south._id]);
    expect(view.instance.variables.decision).toBeUndefined();
    expect(view.instance.variables.trackResults).toEqual([
      { index: 0, team: teams[0], teamName: '北区', decision: 'approve', opinion: '好', score: 20 },
    ]);
    expect(Object.values(view.instance.scopes ?? {})).toEqual([
      { elementId: 'track', index: 1, parentScopeId: null, elementVariable: 'team', elementValue: teams[1], locals: {} },
    ]);

    // a restart loses nothing: south rejects with its own values, and the tracks join
    runtime = await Runtime.create({ db: database.db, clock, services });
    await runtime.complete(south._id, { decision: 'reject', opinion: '材料不全' }, reviewer);
    expect(scored).toEqual(['北区:approve:北区']); // the reject branch does not score
    view = await runtime.getInstance(id);
    expect(view.openTasks.map((t) => [t.elementId, t.subject ?? null])).toEqual([['wrapUp', null]]);
    expect(view.instance.scopes).toEqual({});
    expect(view.instance.variables.trackResults).toEqual([
      { index: 0, team: teams[0], teamName: '北区', decision: 'approve', opinion: '好', score: 20 },
      { index: 1, team: teams[1], teamName: '南区小组', decision: 'reject', opinion: '材料不全' },
    ]);
  });

  it('refuses a second completion of the same track\'s task and leaves the other track alone', async () => {
    const runtime = await Runtime.create({ db: database.db, clock, services });
    const started = await runtime.startInstance('scoped_review', { businessKey: 'S-2', variables: { teams } }, starter);
    const [first, second] = started.openTasks;
    const outcomes = await Promise.allSettled([
      runtime.complete(first!._id, { decision: 'reject', opinion: '一' }, reviewer),
      runtime.complete(first!._id, { decision: 'reject', opinion: '二' }, reviewer),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const view = await runtime.getInstance(started.instance._id);
    expect(view.openTasks.map((t) => t._id)).toEqual([second!._id]);
    expect(view.instance.variables.trackResults).toHaveLength(1);
  });
});
