import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collections } from '../server/db/collections.js';
import type { Database } from '../server/db/connect.js';
import { DatabaseInUse, OwnerLease } from '../server/runtime/owner-lease.js';
import { testDatabase } from './support/db.js';
import { startServer, uriForDatabase, type ServerProcess } from './support/server-process.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../server/main.js');
let database: Database;
let server: ServerProcess | null = null;

afterAll(async () => {
  await server?.stop().catch(() => {});
  await database?.close();
});

describe('the embedded strategy owns its database', () => {
  it('refuses a second lease while the holder lives, and takes over one whose process is gone', async () => {
    database = await testDatabase();
    const { leases } = collections(database.db);
    const first = await OwnerLease.acquire(leases);
    // A live process on this host holds it (this test's parent, say): refused with who holds it.
    await leases.updateOne({ _id: 'embedded-owner' }, { $set: { pid: process.ppid } });
    const refused = await OwnerLease.acquire(leases).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(DatabaseInUse);
    expect((refused as Error).message).toContain('数据库正由另一个服务器进程使用');
    // Its process has exited (a SIGKILLed server): the next server takes over at once.
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => gone.once('exit', resolve));
    await leases.updateOne({ _id: 'embedded-owner' }, { $set: { pid: gone.pid } });
    const second = await OwnerLease.acquire(leases);
    expect((await leases.findOne({ _id: 'embedded-owner' }))!.pid).toBe(process.pid);
    await second.release();
    await first.release();
    expect(await leases.countDocuments({})).toBe(0);
  });

  it('a second server on the same database stops at start-up with a clear message', async () => {
    const dbName = 'test_owner_second';
    const env = { MONGODB_URI: uriForDatabase(dbName), STORAGE_STRATEGY: 'embedded', NODE_ENV: 'development', PROCESSES_DIR: mkdtempSync(path.join(os.tmpdir(), 'cg-no-processes-')) };
    server = await startServer(env);
    const second = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    second.stdout!.on('data', (c: Buffer) => (output += c));
    second.stderr!.on('data', (c: Buffer) => (output += c));
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toContain('数据库正由另一个服务器进程使用');
    expect(output).toContain('MONGODB_URI');
    // The first server is unaffected.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});
