import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Database } from '../server/db/connect.js';
import { collections, type Collections } from '../server/db/collections.js';
import { StepJournal, unfinishedCommits } from '../server/runtime/step-journal.js';
import { testDatabase } from './support/db.js';

/**
 * The step journal (server/runtime/step-journal.ts) replaces a write per step that marked each commit finished:
 * a server's record must name every commit it may not have finished — and, to keep start-up short, little else.
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

async function commit(id: string, stamp: { by: string; seq: number } | { pending: boolean }) {
  await c.commits.insertOne({ _id: id, instanceId: id.split(':')[0]!, rev: Number(id.split(':')[1]), at: new Date(), ...stamp });
}

const recoveryIds = async () => (await unfinishedCommits(c.servers, c.commits)).commits.map((x) => x._id).sort();

describe('step journal', () => {
  it('names a commit of a server that died before its first publication', async () => {
    const journal = new StepJournal(c.servers);
    await journal.open();
    await commit('a:1', journal.begin()); // then the server is killed: no more writes
    expect(await recoveryIds()).toEqual(['a:1']);
  });

  it('names the unfinished and stranded commits, not those finished before the last publication', async () => {
    const journal = new StepJournal(c.servers);
    await journal.open();
    const stamps = Array.from({ length: 6 }, () => journal.begin());
    for (const [i, stamp] of stamps.entries()) await commit(`i${i}:1`, stamp);
    journal.finished(stamps[0]!.seq);
    journal.finished(stamps[1]!.seq);
    journal.strand(stamps[2]!.seq, 'i2:1'); // its derived writes failed
    journal.finished(stamps[4]!.seq); // finished, but below it i3 is still in flight
    await journal.publish();
    // i3 and i5 are in flight (or their server died): they and everything after i3 stay named.
    expect(await recoveryIds()).toEqual(['i2:1', 'i3:1', 'i4:1', 'i5:1']);
    journal.finished(stamps[3]!.seq);
    journal.finished(stamps[5]!.seq);
    await journal.publish();
    expect(await recoveryIds()).toEqual(['i2:1']);
    // A clean shutdown with a stranded commit keeps the record, so that the next start-up finishes it.
    await journal.close();
    expect(await recoveryIds()).toEqual(['i2:1']);
  });

  it('removes its record on a clean shutdown with nothing unfinished, and reports records of servers long gone', async () => {
    const journal = new StepJournal(c.servers);
    await journal.open();
    journal.finished(journal.begin().seq);
    await journal.close();
    expect(await c.servers.countDocuments({})).toBe(0);

    await c.servers.insertOne({ _id: 's-old', settledBelow: 5, stranded: [], at: new Date(Date.now() - 3_600_000) });
    await c.servers.insertOne({ _id: 's-live', settledBelow: 9, stranded: [], at: new Date() });
    await commit('x:1', { by: 's-old', seq: 4 });
    await commit('x:2', { by: 's-old', seq: 5 });
    await commit('y:1', { by: 's-live', seq: 9 });
    await commit('z:1', { pending: true }); // written by a version that marked each commit
    await commit('z:2', { pending: false });
    const found = await unfinishedCommits(c.servers, c.commits);
    expect(found.commits.map((x) => x._id).sort()).toEqual(['x:2', 'y:1', 'z:1']);
    expect(found.goneServers).toEqual(['s-old']);
  });
});
