import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { projectRoot } from '../project-root.js';

/**
 * The embedded database: the launcher `.tools/bin/ferretdb` (built by `scripts/setup-ferretdb.mjs`
 * from `tools/ferretdb`, FerretDB v1.24.2 over SQLite) run as a child process on a free loopback port.
 * See docs/DATABASE.md.
 */
export interface EmbeddedFerretDB {
  /** `mongodb://127.0.0.1:<port>/` */
  uri: string;
  /** The FerretDB process, for the bench's CPU accounting. */
  pid: number | undefined;
  /** SIGTERM, then SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void>;
}

export interface EmbeddedFerretDBOptions {
  /** The server's DATA_DIR; the SQLite files live in `<dataDir>/ferretdb/`. */
  dataDir: string;
  /** Defaults to `$FERRETDB_BIN` or `<project>/.tools/bin/ferretdb`. */
  binPath?: string;
  /** How long to wait for the first successful ping. Default 30 s. */
  startTimeoutMs?: number;
  /** How long to wait after SIGTERM before SIGKILL. Default 10 s. */
  stopGraceMs?: number;
  /**
   * Launcher log level (its logs go to stderr). Default `error`: at `warn` FerretDB logs every
   * error reply, e.g. "no such command: 'endSessions'" each time a driver client closes.
   */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Receives every stderr line of the launcher (by default they are only kept for error messages). */
  onLog?: (line: string) => void;
  /**
   * SQLite `synchronous` (docs/DATABASE.md): `normal` (default; the WAL is fsynced at checkpoints, safe against
   * process kills) or `full` (an fsync at every write; also safe against power loss). Default: `$FERRETDB_SYNCHRONOUS`
   * or `normal`.
   */
  synchronous?: 'normal' | 'full';
}

export const MISSING_BINARY_ADVICE =
  'Run `npm install` with Go >= 1.24 on PATH (it builds .tools/bin/ferretdb from tools/ferretdb), ' +
  'or set MONGODB_URI to use an existing MongoDB server instead.';

const STDERR_TAIL_LINES = 40;

export function defaultFerretDBBinPath(): string {
  return process.env.FERRETDB_BIN?.trim() || path.join(projectRoot(), '.tools', 'bin', 'ferretdb');
}

// ---- children that must never outlive this process -------------------------------------------

const liveChildren = new Set<ChildProcessWithoutNullStreams>();
let handlersInstalled = false;

function installProcessHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Last resort: a signal can still be sent synchronously while the process exits. The launcher also
  // stops by itself when its stdin closes, which covers a parent killed with SIGKILL.
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGTERM');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      // If the application has its own handler it owns the shutdown (and calls stop()/close()).
      if (process.listenerCount(signal) > 1) return;
      process.removeListener(signal, onSignal);
      for (const child of liveChildren) child.kill('SIGTERM');
      // Re-raise with no handler left: the default action terminates the process as usual.
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

// ---- start -----------------------------------------------------------------------------------

export async function startEmbeddedFerretDB(options: EmbeddedFerretDBOptions): Promise<EmbeddedFerretDB> {
  const binPath = options.binPath ?? defaultFerretDBBinPath();
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const stopGraceMs = options.stopGraceMs ?? 10_000;

  if (!existsSync(binPath)) {
    throw new Error(`The embedded database binary ${binPath} is missing. ${MISSING_BINARY_ADVICE}`);
  }

  const synchronous = options.synchronous ?? (process.env.FERRETDB_SYNCHRONOUS?.trim().toLowerCase() || 'normal');
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new Error(`FERRETDB_SYNCHRONOUS must be "normal" or "full", not "${synchronous}"`);
  }

  const sqliteDir = path.join(path.resolve(options.dataDir), 'ferretdb');
  mkdirSync(sqliteDir, { recursive: true });

  // Port 0: the launcher binds a free loopback port itself and reports it, so no port race.
  const child = spawn(
    binPath,
    [
      '-listen', '127.0.0.1:0',
      '-sqlite-dir', sqliteDir,
      '-log-level', options.logLevel ?? 'error',
      // The launcher's default is `normal`; the flag is passed only when asked for, so a launcher built before the
      // flag existed (stale `.tools/bin/ferretdb`) still starts.
      ...(synchronous === 'full' ? ['-synchronous', 'full'] : []),
      '-exit-on-stdin-eof',
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, FERRETDB_TELEMETRY: 'disable', DO_NOT_TRACK: '1' },
    },
  );
  liveChildren.add(child);
  installProcessHandlers();

  const stderrTail: string[] = [];
  const tail = (): string =>
    stderrTail.length ? `\n--- ferretdb stderr (last lines) ---\n${stderrTail.join('\n')}` : ' (no stderr output)';
  lineReader(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    options.onLog?.(line);
  });

  let exited = false;
  let exitInfo = '';
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
      liveChildren.delete(child);
      resolve();
    });
    // A child that could not be spawned at all emits 'error' and never 'exit'.
    child.once('error', (err) => {
      if (child.pid !== undefined) return;
      exited = true;
      exitInfo = `not started: ${err.message}`;
      liveChildren.delete(child);
      resolve();
    });
  });
  // stdin stays open for the child's lifetime (closing it asks the launcher to stop); ignore EPIPE.
  child.stdin.on('error', () => {});

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exited) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
          resolve();
        }, stopGraceMs);
        timer.unref();
      });
      await Promise.race([exitPromise, killed]);
      clearTimeout(timer);
      await exitPromise;
      child.stdin.destroy();
    })();
    return stopping;
  };

  const deadline = Date.now() + startTimeoutMs;
  try {
    const uri = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`FerretDB did not report readiness within ${startTimeoutMs} ms.${tail()}`)),
        startTimeoutMs,
      );
      lineReader(child.stdout, (line) => {
        const m = /^FERRETDB_READY (mongodb:\/\/\S+)$/.exec(line.trim());
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`Cannot run ${binPath}: ${err.message}. ${MISSING_BINARY_ADVICE}`));
      });
      void exitPromise.then(() => {
        clearTimeout(timer);
        // Give the stderr stream a moment to flush before reporting.
        setTimeout(() => reject(new Error(`FerretDB exited during start-up (${exitInfo}).${tail()}`)), 50);
      });
    });

    await waitForPing(uri, deadline, () => (exited ? `FerretDB exited (${exitInfo}).${tail()}` : null), tail);
    return { uri, pid: child.pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForPing(
  uri: string,
  deadline: number,
  exitedMessage: () => string | null,
  tail: () => string,
): Promise<void> {
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    const gone = exitedMessage();
    if (gone) throw new Error(gone);
    const client = new MongoClient(uri, {
      serverSelectionTimeoutMS: Math.max(500, Math.min(5000, deadline - Date.now())),
      connectTimeoutMS: 5000,
      directConnection: true,
    });
    try {
      await client.connect();
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (err) {
      lastError = err;
    } finally {
      await client.close().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`FerretDB at ${uri} did not answer a ping in time: ${reason}${tail()}`);
}

function lineReader(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let i: number;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, i).replace(/\r$/, '');
      buffered = buffered.slice(i + 1);
      if (line) onLine(line);
    }
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
    buffered = '';
  });
}
