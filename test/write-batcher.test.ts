import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { MongoClient, type Collection, type CommandStartedEvent } from 'mongodb';
import { WriteBatcher } from '../server/db/write-batcher.js';

/**
 * Group commit (server/db/write-batcher.ts): writes asked for together go out as one command, and each caller still
 * gets its own outcome — the thing the runtime relies on when a commit insert loses its revision to another step.
 */

interface Doc {
  _id: string;
  n?: number;
  tag?: string;
}

let client: MongoClient;
let collection: Collection<Doc>;
const commands: string[] = [];

beforeAll(async () => {
  // Its own client, with command monitoring on, so the test can count the commands the batcher sends.
  const uri = process.env.MONGODB_URI!;
  const local = /^mongodb:\/\/(127\.0\.0\.1|localhost)/.test(uri);
  client = new MongoClient(uri, { monitorCommands: true, ...(local ? { directConnection: true, retryWrites: false } : {}) });
  await client.connect();
  const db = client.db(`test_write_batcher_w${process.env.JEST_WORKER_ID ?? '0'}`);
  await db.dropDatabase();
  collection = db.collection<Doc>('docs');
  client.on('commandStarted', (e: CommandStartedEvent) => {
    if (e.command[e.commandName] === 'docs') commands.push(e.commandName);
  });
});

afterAll(async () => {
  await client.close();
});

beforeEach(async () => {
  await collection.deleteMany({});
  commands.length = 0;
});

describe('WriteBatcher', () => {
  it('sends writes asked for together as one command each, and every document arrives', async () => {
    const batcher = new WriteBatcher(collection);
    await Promise.all(Array.from({ length: 16 }, (_, n) => batcher.insert({ _id: `d${n}`, n })));
    expect(commands).toEqual(['insert']);
    commands.length = 0;
    await Promise.all(Array.from({ length: 16 }, (_, n) => batcher.update(`d${n}`, { $set: { tag: `t${n}` } })));
    expect(commands).toEqual(['update']);
    const stored = await collection.find({}).sort({ n: 1 }).toArray();
    expect(stored).toHaveLength(16);
    expect(stored.map((d) => d.tag)).toEqual(Array.from({ length: 16 }, (_, n) => `t${n}`));
  });

  it('rejects only the caller whose document has a taken _id; the others are written', async () => {
    await collection.insertOne({ _id: 'taken', n: -1 });
    const batcher = new WriteBatcher(collection);
    const outcomes = await Promise.allSettled([
      batcher.insert({ _id: 'a', n: 1 }),
      batcher.insert({ _id: 'taken', n: 2 }),
      batcher.insert({ _id: 'b', n: 3 }),
      batcher.insert({ _id: 'a', n: 4 }), // the same batch's own duplicate
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as { code?: number }).code).toBe(11000);
    expect(await collection.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 3 },
      { _id: 'taken', n: -1 },
    ]);
  });

  it('rejects only the update that is itself invalid', async () => {
    await collection.insertMany([{ _id: 'x', n: 1 }, { _id: 'y', n: 'text' as unknown as number }]);
    const batcher = new WriteBatcher(collection);
    const outcomes = await Promise.allSettled([
      batcher.update('x', { $set: { tag: 'ok' } }),
      batcher.update('y', { $inc: { n: 1 } }), // $inc on a string
      batcher.update('z', { $set: { n: 9 } }, { upsert: true }),
      batcher.update('missing', { $set: { n: 0 } }), // no document, no upsert: nothing happens, no error
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await collection.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'x', n: 1, tag: 'ok' },
      { _id: 'y', n: 'text' },
      { _id: 'z', n: 9 },
    ]);
  });

  it('queues writes asked for while a command is in flight into the next one, in order of asking', async () => {
    const batcher = new WriteBatcher(collection);
    const first = batcher.insert({ _id: 'first', n: 0 });
    await new Promise((resolve) => setImmediate(resolve)); // the first command is now on its way
    const rest = Array.from({ length: 10 }, (_, n) => batcher.insert({ _id: `r${n}`, n: n + 1 }));
    await Promise.all([first, ...rest]);
    expect(commands).toEqual(['insert', 'insert']);
    await batcher.drain();
    expect(await collection.countDocuments({})).toBe(11);
  });

  it('gets through a burst of updates and inserts on one collection (FerretDB stalled on them sent together)', async () => {
    await collection.insertMany(Array.from({ length: 300 }, (_, n) => ({ _id: `u${n}`, n })));
    commands.length = 0;
    const batcher = new WriteBatcher(collection);
    const burst = Promise.all([
      ...Array.from({ length: 300 }, (_, n) => batcher.update(`u${n}`, { $set: { tag: 'settled' } })),
      ...Array.from({ length: 40 }, (_, n) => batcher.insert({ _id: `i${n}`, n })),
    ]);
    const stalled = new Promise((resolve) => setTimeout(() => resolve('stalled'), 20_000).unref());
    expect(await Promise.race([burst.then(() => 'done'), stalled])).toBe('done');
    expect(await collection.countDocuments({ tag: 'settled' })).toBe(300);
    expect(await collection.countDocuments({})).toBe(340);
    // Short update commands, one command at a time: 300 updates take at least 19 commands.
    expect(commands.filter((c) => c === 'update').length).toBeGreaterThanOrEqual(19);
  }, 30_000);

  it('rejects every caller of a command that failed as a whole, and keeps working afterwards', async () => {
    const other = new MongoClient(process.env.MONGODB_URI!, /^mongodb:\/\/(127\.0\.0\.1|localhost)/.test(process.env.MONGODB_URI!) ? { directConnection: true, retryWrites: false } : {});
    await other.connect();
    const doomed = new WriteBatcher(other.db(collection.dbName).collection<Doc>('docs'));
    await other.close(); // every command through this client now fails before any document is written
    const outcomes = await Promise.allSettled([doomed.insert({ _id: 'p', n: 1 }), doomed.insert({ _id: 'q', n: 2 })]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(await collection.countDocuments({})).toBe(0);
    const batcher = new WriteBatcher(collection);
    await batcher.insert({ _id: 'after', n: 1 });
    expect(await collection.countDocuments({})).toBe(1);
  });
});
