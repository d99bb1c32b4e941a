import path from 'node:path';
import { openDatabase, type Database } from '../../server/db/connect.js';

const used = new Map<string, number>();

/**
 * A fresh database for one test file on the suite's server (MONGODB_URI, set by the jest globalSetup
 * to the embedded FerretDB unless given). The database is dropped first, so each run starts empty.
 *
 *   const database = await testDatabase();        // name from the calling file: runtime.test.ts → test_runtime_w1
 *   const other = await testDatabase('extra');    // → test_extra_w1
 *   afterAll(() => database.close());
 *
 * Names are stable across runs (a rerun replaces the previous run's data instead of piling up
 * databases on a real MongoDB) and distinct between jest workers.
 */
export async function testDatabase(name?: string): Promise<Database> {
  const uri = process.env.MONGODB_URI?.trim();
  if (!uri) {
    throw new Error('MONGODB_URI is not set: the jest globalSetup (test/support/global-setup.ts) did not run.');
  }
  const safe = (name ?? callerFileName()).replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
  const n = (used.get(safe) ?? 0) + 1;
  used.set(safe, n);
  const dbName = `test_${safe}_w${process.env.JEST_WORKER_ID ?? '0'}${n > 1 ? `_${n}` : ''}`;
  const database = await openDatabase({ uri, dataDir: '', dbName });
  try {
    await database.db.dropDatabase();
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/** `…/build/test/runtime.test.js` → `runtime`. */
function callerFileName(): string {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const frame of stack) {
    // jest maps frames to the .ts sources; without source maps they name the compiled .js.
    const m = /(\/[^\s():]+\.[cm]?[jt]s)/.exec(frame);
    if (!m || /node_modules|\/support\/db\.[jt]s$/.test(m[1]!)) continue;
    return path.basename(m[1]!).replace(/(\.test)?\.[cm]?[jt]s$/, '');
  }
  return 'db';
}
