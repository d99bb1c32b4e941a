import { MongoClient, type Db } from 'mongodb';
import { startEmbeddedFerretDB, type EmbeddedFerretDB } from './embedded-ferretdb.js';

export const DEFAULT_DB_NAME = 'community_bpmn';

export interface Database {
  client: MongoClient;
  db: Db;
  /** The server URI actually used (MONGODB_URI, or the embedded FerretDB's). */
  uri: string;
  /** Closes the client and, when embedded, stops FerretDB. Idempotent. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A MongoDB connection string (`MONGODB_URI`); when empty the embedded FerretDB is started. */
  uri?: string | null;
  /** DATA_DIR; the embedded FerretDB keeps its SQLite files in `<dataDir>/ferretdb/`. */
  dataDir: string;
  /** Database name; default: the database named in the URI path, else `community_bpmn`. */
  dbName?: string;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const given = options.uri?.trim() || null;
  let embedded: EmbeddedFerretDB | null = null;
  let uri: string;
  if (given) {
    uri = given;
  } else {
    embedded = await startEmbeddedFerretDB({ dataDir: options.dataDir });
    uri = embedded.uri;
  }

  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 15_000,
    // FerretDB 1.x is a standalone server without retryable-write support.
    ...(embedded ? { directConnection: true, retryWrites: false } : {}),
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } catch (err) {
    await client.close().catch(() => {});
    await embedded?.stop();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      given
        ? `Cannot connect to MONGODB_URI (${redactUri(uri)}): ${reason}`
        : `Cannot connect to the embedded FerretDB at ${uri}: ${reason}`,
      { cause: err },
    );
  }

  const dbName = options.dbName ?? (given ? databaseNameFromUri(given) : null) ?? DEFAULT_DB_NAME;
  const db = client.db(dbName);

  let closing: Promise<void> | null = null;
  return {
    client,
    db,
    uri,
    close(): Promise<void> {
      closing ??= (async () => {
        try {
          await client.close();
        } finally {
          await embedded?.stop();
        }
      })();
      return closing;
    },
  };
}

/** `mongodb://h:1,h2:2/name?x=y` → `name`; null when the URI names no database. */
export function databaseNameFromUri(uri: string): string | null {
  const m = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(uri);
  if (!m || !m[1]) return null;
  return decodeURIComponent(m[1]);
}

/** Hides the password of a connection string for error messages and logs. */
export function redactUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/)([^@/]*)@/, (_all, scheme: string, cred: string) => {
    const user = cred.split(':')[0] ?? '';
    return `${scheme}${user}:***@`;
  });
}
