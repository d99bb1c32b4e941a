import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, MongoServerError } from 'mongodb';
import { collections, COLLECTION_NAMES, ensureIndexes, INDEXES, secondaryIndexesServeQueries } from '../server/db/collections.js';
import { databaseNameFromUri, openDatabase, redactUri, type Database } from '../server/db/connect.js';
import { startEmbeddedFerretDB } from '../server/db/embedded-ferretdb.js';
import type { InstanceDoc } from '../server/db/types.js';
import { testDatabase } from './support/db.js';

/**
 * A complete-enough instance document. The cast keeps this database test independent of fields the
 * runtime adds to InstanceDoc over time (it exercises storage, not the runtime's document shape).
 */
function instance(id: string, over: Partial<InstanceDoc> = {}): InstanceDoc {
  const now = new Date('2025-03-01T08:00:00Z');
  const doc = {
    _id: id,
    processKey: 'village-matter',
    processName: '村级事务',
    version: 1,
    definitionId: 'village-matter:1',
    businessKey: `BK-${id}`,
    status: 'running',
    rev: 0,
    engineState: { state: 'running' },
    variables: { 事项: '修路', votes: 3 },
    activeElements: ['review'],
    timers: [],
    nextTimerAt: null,
    incident: null,
    incidents: [],
    openTasks: [],
    outbox: [],
    startedBy: 'u1',
    startedAt: now,
    updatedAt: now,
    endedAt: null,
    ...over,
  };
  return doc as unknown as InstanceDoc;
}

describe('database on the test server', () => {
  let database: Database;

  beforeAll(async () => {
    database = await testDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  test('connects to a fresh, empty database', async () => {
    expect(database.db.databaseName).toBe(`test_db_w${process.env.JEST_WORKER_ID ?? '0'}`);
    expect(await database.db.command({ ping: 1 })).toMatchObject({ ok: 1 });
    expect(await database.db.listCollections().toArray()).toEqual([]);
  });

  test('inserts and finds documents with Chinese text and dates', async () => {
    const { instances } = collections(database.db);
    await instances.insertMany([instance('i1'), instance('i2', { status: 'completed' })]);
    const found = await instances.findOne({ _id: 'i1' });
    expect(found?.variables).toEqual({ 事项: '修路', votes: 3 });
    expect(found?.startedAt).toEqual(new Date('2025-03-01T08:00:00Z'));
    expect(await instances.countDocuments({ status: 'running' })).toBe(1);
  });

  test('conditional update on {_id, rev} is the optimistic lock', async () => {
    const { instances } = collections(database.db);
    await instances.insertOne(instance('lock', { rev: 4 }));

    const first = await instances.updateOne(
      { _id: 'lock', rev: 4 },
      { $set: { rev: 5, 'variables.votes': 4, updatedAt: new Date() } },
    );
    expect(first.matchedCount).toBe(1);
    expect(first.modifiedCount).toBe(1);

    // A second writer that read rev 4 loses.
    const stale = await instances.updateOne({ _id: 'lock', rev: 4 }, { $set: { rev: 5, 'variables.votes': 99 } });
    expect(stale.matchedCount).toBe(0);
    expect(stale.modifiedCount).toBe(0);

    const doc = await instances.findOne({ _id: 'lock' });
    expect(doc?.rev).toBe(5);
    expect(doc?.variables.votes).toBe(4);
  });

  test('duplicate _id is rejected (idempotent re-insert detection)', async () => {
    const { audit } = collections(database.db);
    const entry = {
      _id: 'i1:1:0',
      instanceId: 'i1',
      processKey: 'village-matter',
      rev: 1,
      n: 0,
      at: new Date(),
      type: 'instance.started',
      elementId: null,
      taskId: null,
      actor: 'u1',
      data: {},
    };
    await audit.insertOne(entry);
    const err = await audit.insertOne(entry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(11000);
  });

  test('ensureIndexes is idempotent and enforces unique keys', async () => {
    await ensureIndexes(database.db);
    await ensureIndexes(database.db);

    // FerretDB (SQLite) reads by `_id` only, so there only the unique indexes are kept; MongoDB gets them all.
    const ferretdb = 'ferretdbVersion' in (await database.db.admin().command({ buildInfo: 1 }));
    expect(await secondaryIndexesServeQueries(database.db)).toBe(!ferretdb);
    for (const name of new Set(INDEXES.map((i) => i.collection))) {
      const names = (await database.db.collection(COLLECTION_NAMES[name]).listIndexes().toArray()).map((i) => i.name as string);
      const expected = INDEXES.filter((i) => i.collection === name && (i.options.unique || !ferretdb)).map((i) => i.options.name);
      expect(names.sort()).toEqual(['_id_', ...expected].sort());
    }

    const { users, definitions } = collections(database.db);
    const user = {
      username: 'zhangsan',
      displayName: '张三',
      groups: ['village-committee'],
      unitId: null,
      passwordHash: 'x',
      disabled: false,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    await users.insertOne({ _id: 'u-a', ...user });
    const dup = await users.insertOne({ _id: 'u-b', ...user }).catch((e: unknown) => e);
    expect((dup as MongoServerError).code).toBe(11000);

    const def = { name: '村级事务', xml: '<x/>', hash: 'h1', deployedAt: new Date(), deployedBy: null };
    await definitions.insertOne({ _id: 'vm:1', key: 'vm', version: 1, ...def });
    const dupVersion = await definitions
      .insertOne({ _id: 'vm:1b', key: 'vm', version: 1, ...def })
      .catch((e: unknown) => e);
    expect((dupVersion as MongoServerError).code).toBe(11000);
    await definitions.insertOne({ _id: 'vm:2', key: 'vm', version: 2, ...def });
    expect(await definitions.countDocuments({ key: 'vm' })).toBe(2);
  });
});

describe('embedded FerretDB', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'community-bpmn-dbtest-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('keeps data across a stop/start with the same dataDir', async () => {
    const dataDir = tempDir();

    const first = await openDatabase({ dataDir });
    expect(first.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    expect(first.db.databaseName).toBe('community_bpmn');
    await ensureIndexes(first.db);
    await collections(first.db).instances.insertOne(instance('persist', { rev: 7 }));
    await first.close();
    await first.close(); // idempotent

    // The server is gone after close().
    const probe = new MongoClient(first.uri, { serverSelectionTimeoutMS: 500 });
    await expect(probe.connect()).rejects.toThrow();
    await probe.close();

    const second = await openDatabase({ dataDir });
    try {
      const doc = await collections(second.db).instances.findOne({ _id: 'persist' });
      expect(doc?.rev).toBe(7);
      expect(doc?.variables).toEqual({ 事项: '修路', votes: 3 });
      await ensureIndexes(second.db);
    } finally {
      await second.close();
    }
  });

  test('startEmbeddedFerretDB gives a working server and stops it', async () => {
    const server = await startEmbeddedFerretDB({ dataDir: tempDir() });
    const client = new MongoClient(server.uri);
    try {
      await client.db('x').collection('c').insertOne({ a: 1 });
      expect(await client.db('x').collection('c').countDocuments()).toBe(1);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  test('a missing binary gives an error saying what to do', async () => {
    await expect(
      startEmbeddedFerretDB({ dataDir: tempDir(), binPath: path.join(tempDir(), 'no-such-ferretdb') }),
    ).rejects.toThrow(/npm install.*Go.*MONGODB_URI/s);
  });
});

describe('connection strings', () => {
  test('database name from the URI path', () => {
    expect(databaseNameFromUri('mongodb://h:1,h2:2/gov?replicaSet=rs')).toBe('gov');
    expect(databaseNameFromUri('mongodb+srv://u:p@cluster.example/app')).toBe('app');
    expect(databaseNameFromUri('mongodb://127.0.0.1:27017/')).toBeNull();
    expect(databaseNameFromUri('mongodb://127.0.0.1:27017')).toBeNull();
  });

  test('passwords are redacted', () => {
    expect(redactUri('mongodb://admin:s3cret@db:27017/x')).toBe('mongodb://admin:***@db:27017/x');
    expect(redactUri('mongodb://db:27017/x')).toBe('mongodb://db:27017/x');
  });
});
