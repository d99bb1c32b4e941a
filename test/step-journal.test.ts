import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Database } from '../server/db/connect.js';
import { collections, type Collections } from '../server/db/collections.js';
import { LEGACY_CHECKED, StepJournal, unfinishedCommits, writeMarker } from '../server/runtime/step-journal.js';
import { testDatabase } from './support/db.js';

/**
 * The step journal (server/runtime/step-journal.ts) replaces a write per step that marked each commit finished:
 * a server's record must name every commit it may not have finished before that commit exists — and, to keep
 * start-up short, little else.
 */

let database: Database;
let c: Collections;

beforeAll(async () => {
  database = await testDatabase();
  c = collections(database.db);
});

afterAll(async () => {
  await database.close();
});

beforeEach(async () => {
  await c.servers.deleteMany({});
  await c.commits.deleteMany({});
});

async function commit(id: string, extra: { pending?: boolean } = {}) {
  await c.commits.insertOne({ _id: id, instanceId: id.split(':')[0]!, rev: Number(id.split(':')[1]), at: new Date(), ...extra });
}

const UUID_FIRST_REVISION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:1$/;
/** The commit ids a server's record lists, without the first revisions of the instance ids it keeps for starts. */
const listed = async (journal: StepJournal) =>
  (await c.servers.findOne({ _id: journal.serverId }))?.unfinished.filter((id) => !UUID_FIRST_REVISION.test(id)).sort();

/** A journal whose record writes are counted. */
function countingJournal() {
  const counter = { writes: 0 };
  const servers = {
    updateOne: (...args: Parameters<typeof c.servers.updateOne>) => {
      counter.writes++;
      return c.servers.updateOne(...args);
    },
    deleteOne: (...args: Parameters<typeof c.servers.deleteOne>) => c.servers.deleteOne(...args),
  } as unknown as typeof c.servers;
  return { journal: new StepJournal(servers), counter };
}
const recoveryIds = async () => (await unfinishedCommits(c.servers, c.commits)).commits.map((x) => x._id).sort();

describe('step journal', () => {
  it('lists a commit before it exists, so a server killed after committing leaves it for recovery', async () => {
    const journal = new StepJournal(c.servers);
    await journal.open();
    expect(await listed(journal)).toEqual([]);
    await journal.announce('a:1');
    expect(await listed(journal)).toEqual(['a:1']); // written before the announcement resolved
    await commit('a:1'); // then the server is killed: no more writes
    expect(await recoveryIds()).toEqual(['a:1']);
  });

  it('drops finished commits at its next write, counts a revision two steps race for, and shares writes', async () => {
    const journal = new StepJournal(c.servers);
    await journal.open();
    // Announced together: one write (or two) covers them all.
    await Promise.all([journal.announce('a:2'), journal.announce('b:5'), journal.announce('b:5')]);
    expect(await listed(journal)).toEqual(['a:2', 'b:5']);
    journal.finished('a:2');
    journal.finished('b:5'); // the loser of the race for b:5; the winner is still applying its step
    await journal.announce('c:1');
    expect(await listed(journal)).toEqual(['b:5', 'c:1']);
    // Commits that never came to exist (a step that made none) are not recovery's business.
    await commit('b:5');
    expect(await recoveryIds()).toEqual(['b:5']);
    journal.finished('b:5');
    journal.finished('c:1');
    await journal.close();
    expect(await c.servers.countDocuments({ _id: journal.serverId })).toBe(0);
  });

  it("lists an instance's next revision and the next starts' ids ahead, so those steps wait for no write", async () => {
    const { journal, counter } = countingJournal();
    await journal.open();
    await journal.announce('a:2');
    journal.finished('a:2', 'a:3');
    const id = journal.newInstanceId();
    await journal.announce('b:1'); // a write, which also lists a:3 and the replacement start id
    expect(await listed(journal)).toEqual(['a:3', 'b:1']);
    const record = (await c.servers.findOne({ _id: journal.serverId }))!;
    expect(record.unfinished).toContain(`${id}:1`);
    const before = counter.writes;
    await Promise.all([journal.announce('a:3'), journal.announce(`${id}:1`)]);
    expect(counter.writes).toBe(before);
    // Listed ahead or not, an announced id stays listed until its step is finished.
    for (let i = 0; i < 70; i++) journal.finished(`x${i}:1`, `x${i}:2`); // pushes older ids out of the ahead list
    await journal.announce('c:1');
    expect(await listed(journal)).toEqual(expect.arrayContaining(['a:3', `b:1`, 'c:1']));
    expect(await listed(journal)).not.toContain('x0:2');
    journal.finished('a:3');
    journal.finished(`${id}:1`);
    journal.finished('b:1');
    journal.finished('c:1');
    await journal.close();
  });

  it('keeps its record on shutdown while a step that failed after committing is unfinished', async () => {
    const journal = new StepJournal(c.servers);
    await journal.open();
    await journal.announce('x:3');
    await commit('x:3'); // its derived writes then failed: the step does not call finished
    await journal.close();
    expect(await listed(journal)).toEqual(['x:3']);
    expect(await recoveryIds()).toEqual(['x:3']);
  });

  it('reports records of servers long gone, and looks for commits of older versions once per database', async () => {
    await c.servers.insertOne({ _id: 's-old', unfinished: ['o:1'], at: new Date(Date.now() - 3_600_000) });
    await c.servers.insertOne({ _id: 's-live', unfinished: ['l:1'], at: new Date() });
    await commit('o:1');
    await commit('l:1');
    await commit('z:1', { pending: true }); // written by a version that marked each commit
    await commit('z:2', { pending: false });
    const first = await unfinishedCommits(c.servers, c.commits);
    expect(first.commits.map((x) => x._id).sort()).toEqual(['l:1', 'o:1', 'z:1']);
    expect(first.goneServers).toEqual(['s-old']);
    expect(first.legacyChecked).toBe(false);
    await writeMarker(c.servers, LEGACY_CHECKED);
    const second = await unfinishedCommits(c.servers, c.commits);
    expect(second.commits.map((x) => x._id).sort()).toEqual(['l:1', 'o:1']);
    expect(second.legacyChecked).toBe(true);
    expect(second.goneServers).toEqual(['s-old']); // the marker itself is never gone
  });
});
