import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedFerretDB } from '../../server/db/embedded-ferretdb.js';

/** What global-teardown needs; jest runs both in the same process. */
export interface TestDatabaseServer {
  stop(): Promise<void>;
  dataDir: string;
}

declare global {
  // eslint-disable-next-line no-var
  var __TEST_FERRETDB__: TestDatabaseServer | undefined;
}

/**
 * jest globalSetup: with MONGODB_URI set the tests use that server; otherwise ONE embedded FerretDB
 * is started for the whole run (SQLite files in a temporary directory) and its URI is exported as
 * MONGODB_URI, which the test files read through test/support/db.ts.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI?.trim()) {
    console.log('\n[test db] using MONGODB_URI');
    return;
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'community-bpmn-test-'));
  const started = Date.now();
  const server = await startEmbeddedFerretDB({ dataDir });
  process.env.MONGODB_URI = server.uri;
  globalThis.__TEST_FERRETDB__ = { stop: server.stop, dataDir };
  console.log(`\n[test db] embedded FerretDB at ${server.uri} (started in ${Date.now() - started} ms, data in ${dataDir})`);
}
