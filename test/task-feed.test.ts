import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Database } from '../server/db/connect.js';
import { collections, ensureIndexes } from '../server/db/collections.js';
import type { TaskDoc } from '../server/db/types.js';
import { ManualClock } from '../server/engine/clock.js';
import { setEngineClock } from '../server/engine/clock-timer.js';
import type { Actor } from '../server/runtime/api.js';
import { Runtime } from '../server/runtime/runtime.js';
import { TaskFeed, type TaskChange } from '../server/runtime/task-feed.js';
import { OpenTaskIndex, TASK_FIELDS_PROJECTION, type TaskFields } from '../server/runtime/task-index.js';
import { testDatabase } from './support/db.js';
import { linearProcess } from './support/bpmn.js';

/**
 * Inboxes are served from each server's in-memory index of open tasks, kept current by the task feed
 * (server/runtime/task-feed.ts). What users check: a task shows in the right inbox on every server as soon as the
 * step that made it has answered, leaves it once done or claimed, the counts agree with the task records, and
 * nothing comes back after restarts, late duplicates or pruning.
 */

const officer: Actor = { id: 'street-office', groups: ['street-office'] };
const clerk: Actor = { id: 'clerk1', groups: ['street-office'] };
const resident: Actor = { id: 'resident-reps', groups: ['resident-reps'] };

const userTask = (id: string, name: string, group: string) => ({
  id,
  xml: `<bpmn:userTask id="${id}" name="${name}" camunda:candidateGroups="${group}">
    <bpmn:extensionElements><camunda:formData><camunda:formField id="note" label="备注" type="string" /></camunda:formData></bpmn:extensionElements>
    <!--flows--></bpmn:userTask>`,
});
const xml = linearProcess('feed_two_step', '两步事项', [
  { id: 'start', event: true, xml: '<bpmn:startEvent id="start" name="开始"><!--flows--></bpmn:startEvent>' },
  userTask('accept', '受理', 'street-office'),
  userTask('publicize', '公示', 'resident-reps'),
  { id: 'end', event: true, xml: '<bpmn:endEvent id="end" name="结束"><!--flows--></bpmn:endEvent>' },
]);

let database: Database;
let clock: ManualClock;

beforeAll(async () => {
  database = await testDatabase();
  await ensureIndexes(database.db);
  clock = new ManualClock(new Date('2026-05-01T00:00:00Z'));
  setEngineClock(clock);
});

afterAll(async () => {
  await database.close();
});

/** A server: its own runtime (own index, own feed reader) on the shared database, with no background polling. */
const server = () => Runtime.create({ db: database.db, clock, services: {}, feedPollMs: 0 });

/** What the inbox should be, straight from the task records. */
async function recordsFor(actor: Actor, scope: 'mine' | 'candidate'): Promise<string[]> {
  const tasks = await collections(database.db).tasks.find({ status: 'open' }).toArray();
  return tasks
    .filter((t) =>
      scope === 'mine' ? t.assignee === actor.id : t.assignee === null && (t.candidateUsers.includes(actor.id) || t.candidateGroups.some((g) => actor.groups.includes(g))),
    )
    .sort((a, b) => +b.createdAt - +a.createdAt || (b._id < a._id ? -1 : 1))
    .map((t) => t._id);
}

const ids = (tasks: TaskDoc[]) => tasks.map((t) => t._id);

describe('inbox index and task feed across two servers', () => {
  it('shows a step done on one server in the inboxes of the other at once, with counts that match the records', async () => {
    const a = await server();
    const b = await server();
    const deployed = await a.deploy(xml, null).catch((err) => {
      throw new Error(JSON.stringify(err.details ?? err.message));
    });
    expect(deployed.version).toBe(1);

    const started = [];
    for (let n = 0; n < 5; n++) {
      clock.advance('PT1M');
      started.push(await a.startInstance('feed_two_step', { businessKey: `J-${n}` }, officer));
    }
    const acceptIds = started.map((v) => v.openTasks[0]!._id);

    // Server b never ran a step, yet lists all five, newest first.
    expect(ids(await b.listTasks(officer, { scope: 'candidate' }))).toEqual([...acceptIds].reverse());
    expect(await b.countTasks(officer)).toEqual({ mine: 0, candidate: 5 });

    // Claimed on b: gone from a's candidate inbox, in the clerk's own inbox on a.
    await b.claim(acceptIds[1]!, clerk);
    expect(ids(await a.listTasks(officer, { scope: 'candidate' }))).not.toContain(acceptIds[1]);
    const clerksInbox = await a.listTasks(clerk, { scope: 'mine' });
    expect(ids(clerksInbox)).toEqual([acceptIds[1]]);
    // Server a created that task and remembers its record; who holds it now comes from b's claim.
    expect(clerksInbox[0]!.assignee).toBe('clerk1');
    expect(await a.countTasks(clerk)).toEqual({ mine: 1, candidate: 4 });

    // Completed on a: the next step appears in the residents' inbox on b, the finished one is gone everywhere.
    await a.complete(acceptIds[1]!, {}, clerk);
    expect(ids(await b.listTasks(clerk, { scope: 'mine' }))).toEqual([]);
    const residentsInbox = await b.listTasks(resident, { scope: 'candidate' });
    expect(residentsInbox.map((t) => [t.instanceId, t.elementId, t.name])).toEqual([[started[1]!.instance._id, 'publicize', '公示']]);

    // Cancelled on b: its task leaves a's inbox.
    await b.cancel(started[4]!.instance._id, { id: 'admin', groups: ['admin'] }, '重复发起');
    for (const runtime of [a, b]) {
      expect(ids(await runtime.listTasks(officer, { scope: 'candidate' }))).toEqual(await recordsFor(officer, 'candidate'));
      expect(ids(await runtime.listTasks(resident, { scope: 'candidate' }))).toEqual(await recordsFor(resident, 'candidate'));
      expect(await runtime.countTasks(officer)).toEqual({ mine: 0, candidate: 3 });
    }

    // Filters and paging: two pages of two and one of one, no overlap, same order as the records.
    const first = await a.listTasks(officer, { scope: 'candidate', limit: 2 });
    const last = first[first.length - 1]!;
    const second = await a.listTasks(officer, { scope: 'candidate', limit: 2, before: { createdAt: last.createdAt, id: last._id } });
    expect([...ids(first), ...ids(second)]).toEqual(await recordsFor(officer, 'candidate'));
    expect(ids(await a.listTasks(officer, { scope: 'candidate', businessKey: 'J-2' }))).toEqual([acceptIds[2]]);
    expect(await a.listTasks(officer, { scope: 'candidate', processKey: 'other' })).toEqual([]);
    // The page is the full record, without the form.
    expect(first[0]).toMatchObject({ processKey: 'feed_two_step', name: '受理', status: 'open', candidateGroups: ['street-office'] });
    expect(first[0]).not.toHaveProperty('formSchema');

    // A third server started now reads the same from the records.
    const c = await server();
    expect(ids(await c.listTasks(officer, { scope: 'candidate' }))).toEqual(await recordsFor(officer, 'candidate'));
    expect(await c.countTasks(resident)).toEqual({ mine: 0, candidate: 1 });
  });

  it('finishes a step whose server died after its commit, feed included, when the task is submitted again', async () => {
    let crash = false;
    const dying = await Runtime.create({
      db: database.db,
      clock,
      services: {},
      feedPollMs: 0,
      faults: {
        afterCommit: () => {
          if (crash) throw new Error('simulated crash after commit');
        },
      },
    });
    const other = await server();
    const view = await dying.startInstance('feed_two_step', { businessKey: 'CRASH-1' }, officer);
    const task = view.openTasks[0]!;
    crash = true;
    await expect(dying.complete(task._id, {}, officer)).rejects.toThrow('simulated crash');
    // The commit is stored; the step's writes are not, so the task still shows. The officer submits again on the
    // other server: refused as already done (the first submission counted), and finishing the step there updates
    // the inboxes.
    expect(ids(await other.listTasks(officer, { scope: 'candidate' }))).toContain(task._id);
    await expect(other.complete(task._id, {}, officer)).rejects.toMatchObject({ code: 'conflict' });
    expect(ids(await other.listTasks(officer, { scope: 'candidate' }))).not.toContain(task._id);
    expect((await other.listTasks(resident, { scope: 'candidate' })).map((t) => t.instanceId)).toContain(view.instance._id);
    crash = false;
    expect(ids(await dying.listTasks(officer, { scope: 'candidate' }))).not.toContain(task._id);
    expect(await collections(database.db).commits.countDocuments({ instanceId: view.instance._id })).toBe(2);
  });
});

describe('task feed', () => {
  const fields = (id: string, instanceId: string, at: string): TaskFields => ({
    _id: id,
    instanceId,
    createdAt: new Date(at),
    candidateGroups: ['g'],
    candidateUsers: [],
    assignee: null,
    processKey: 'p',
    businessKey: null,
  });
  const actor = { id: 'u', groups: ['g'] };

  async function feedOn(db: Database, index = new OpenTaskIndex(), keep?: number) {
    const c = collections(db.db);
    const feed = new TaskFeed({
      collection: c.taskfeed,
      index,
      keep,
      scanOpenTasks: () => c.tasks.find({ status: 'open' }, { projection: TASK_FIELDS_PROJECTION }) as AsyncIterable<TaskFields>,
      readTasks: async (list) => {
        const found = await Promise.all(list.map((id) => c.tasks.findOne({ _id: id })));
        return new Map(found.filter((t) => t !== null).map((t) => [t._id, t]));
      },
    });
    await feed.rebuild();
    return { feed, index };
  }

  it('ignores a change that arrives again after a newer one, whether or not this server saw the instance before', async () => {
    const db = await testDatabase('task_feed_dup');
    try {
      const tasks = collections(db.db).tasks;
      const t1 = fields('i1:t1', 'i1', '2026-05-01T00:00:00Z');
      const t2 = fields('i1:t2', 'i1', '2026-05-01T00:01:00Z');
      const early = await feedOn(db);
      const writer = early.feed;
      // Step 1 opens t1; step 2 closes it and opens t2 (the records are written before each change, as in a step).
      await tasks.insertOne({ ...t1, status: 'open' } as unknown as TaskDoc);
      await writer.append({ i: 'i1', r: 1, a: [t1] });
      await tasks.updateOne({ _id: t1._id }, { $set: { status: 'completed' } });
      await tasks.insertOne({ ...t2, status: 'open' } as unknown as TaskDoc);
      await writer.append({ i: 'i1', r: 2, a: [t2], x: [t1._id] });
      // A server that starts now reads the records, then sees step 1 appended again by a slow committer.
      const late = await feedOn(db);
      const again: TaskChange = { i: 'i1', r: 1, a: [t1] };
      await writer.append(again);
      for (const { feed, index } of [early, late]) {
        await feed.catchUp();
        expect(index.page({ scope: 'candidate', actor }, 10).map((e) => e.id)).toEqual([t2._id]);
      }
      // Concurrent appends from two servers: every one lands once, in one dense sequence.
      const changes = Array.from({ length: 20 }, (_, n) => ({ i: `c${n}`, r: 1, a: [fields(`c${n}:t`, `c${n}`, `2026-05-02T00:00:${String(n).padStart(2, '0')}Z`)] }));
      await tasks.insertMany(changes.map((change) => ({ ...change.a[0]!, status: 'open' }) as unknown as TaskDoc));
      await Promise.all(changes.map((change, n) => (n % 2 ? early.feed : late.feed).append(change)));
      const entries = await collections(db.db).taskfeed.find({ _id: /^f:/ }).toArray();
      const seqs = entries.map((e) => Number(e._id.slice(2))).sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, n) => n + 1));
      const stored = entries.flatMap((e) => JSON.parse(e.c!) as TaskChange[]).filter((ch) => ch.i.startsWith('c'));
      expect(stored.map((ch) => ch.i).sort()).toEqual(changes.map((ch) => ch.i).sort());
      for (const { feed, index } of [early, late]) {
        await feed.catchUp();
        expect(index.count({ scope: 'candidate', actor })).toBe(21);
      }
    } finally {
      await db.close();
    }
  });

  it('drops old entries, and a server that fell behind them rebuilds from the records', async () => {
    const db = await testDatabase('task_feed_prune');
    try {
      const tasks = collections(db.db).tasks;
      const behind = await feedOn(db, new OpenTaskIndex(), 5);
      const writer = await feedOn(db, new OpenTaskIndex(), 5);
      for (let n = 1; n <= 40; n++) {
        const t = fields(`p${n}:t`, `p${n}`, `2026-05-03T00:00:${String(n).padStart(2, '0')}Z`);
        await tasks.insertOne({ ...t, status: 'open' } as unknown as TaskDoc);
        await writer.feed.append({ i: `p${n}`, r: 1, a: [t] });
      }
      await writer.feed.maintain(Date.now());
      const left = (await collections(db.db).taskfeed.find({ _id: /^f:/ }).toArray()).map((e) => Number(e._id.slice(2)));
      // Kept: at least the 5 behind the head hint (written every 32 entries), nothing at or below the pruned tail.
      expect(Math.min(...left)).toBeGreaterThan(1);
      expect(Math.max(...left)).toBe(40);
      expect(left.length).toBeGreaterThanOrEqual(5);
      // The server that never read anything finds its next entry gone and rebuilds: it still sees all 40.
      await behind.feed.maintain(Date.now());
      expect(behind.index.count({ scope: 'candidate', actor })).toBe(40);
      expect(writer.index.count({ scope: 'candidate', actor })).toBe(40);
    } finally {
      await db.close();
    }
  });
});
