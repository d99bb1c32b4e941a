import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient, type Db } from 'mongodb';
import { startEmbeddedFerretDB } from '../server/db/embedded-ferretdb.js';

/** Shared helpers of bench.ts and chaos.ts: arguments, seeded randomness, statistics, database, child servers. */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'build/server/main.js');

export interface Args {
  quick: boolean;
  json: string | null;
  seed: number;
  /** `--sizes 1000,10000,100000`: the inbox / memory sizes instead of the mode's defaults. */
  sizes: number[] | null;
}

export function parseArgs(argv = process.argv.slice(2)): Args {
  const args: Args = { quick: false, json: null, seed: 20260301, sizes: null };
  const sizes = (text: string | undefined) => {
    const list = (text ?? '').split(',').map((x) => Number(x.trim()));
    if (!list.length || list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes wants numbers like 1000,10000: ${text}`);
    return list;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = argv[++i] ?? null;
    else if (a.startsWith('--json=')) args.json = a.slice(7);
    else if (a === '--seed') args.seed = Number(argv[++i]);
    else if (a.startsWith('--seed=')) args.seed = Number(a.slice(7));
    else if (a === '--sizes') args.sizes = sizes(argv[++i]);
    else if (a.startsWith('--sizes=')) args.sizes = sizes(a.slice(8));
    else throw new Error(`unknown argument: ${a} (use --quick, --json PATH, --seed N, --sizes N,N,…)`);
  }
  return args;
}

/** mulberry32: a small seeded PRNG so every run makes the same choices. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export const median = (values: number[]) => percentile(values, 50);

/** Median of the rounds and their spread ((max − min) / median, in %). */
export function summarize(values: number[]) {
  const med = median(values);
  const spread = values.length > 1 ? ((Math.max(...values) - Math.min(...values)) / med) * 100 : 0;
  return { median: med, min: Math.min(...values), max: Math.max(...values), spreadPct: spread, rounds: values };
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); null where it cannot be read. */
export function processCpuMs(pid: number | null | undefined): number | null {
  if (!pid) return null;
  try {
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** USER_HZ, 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU milliseconds per completion of each process: where the machine's two cores went. */
export interface CpuPerCompletion {
  server: number | null;
  database: number | null;
  client: number;
}

/**
 * Adds up the CPU the server, the database and this process (the bench's clients) use over measured windows.
 * A database given by MONGODB_URI has no process here, so its share is null.
 */
export class CpuMeter {
  private readonly used = { server: 0, database: 0, client: 0 };
  private readonly readable = { server: true, database: true };
  private start: { server: number | null; database: number | null; client: NodeJS.CpuUsage } | null = null;

  constructor(private readonly pids: { server: number | undefined; database: number | null }) {}

  begin(): void {
    this.start = { server: processCpuMs(this.pids.server), database: processCpuMs(this.pids.database), client: process.cpuUsage() };
  }

  end(): void {
    const start = this.start!;
    const client = process.cpuUsage(start.client);
    this.used.client += (client.user + client.system) / 1000;
    for (const which of ['server', 'database'] as const) {
      const [before, after] = [start[which], processCpuMs(this.pids[which])];
      if (before === null || after === null) this.readable[which] = false;
      else this.used[which] += after - before;
    }
    this.start = null;
  }

  perCompletion(completions: number): CpuPerCompletion {
    const per = (ms: number) => (completions ? ms / completions : NaN);
    return {
      server: this.readable.server ? per(this.used.server) : null,
      database: this.readable.database ? per(this.used.database) : null,
      client: per(this.used.client),
    };
  }
}

export function cpuText(cpu: CpuPerCompletion): string {
  const ms = (v: number | null) => (v === null ? 'n/a' : `${round(v, 2)}`);
  return `CPU ms/completion: server ${ms(cpu.server)}, database ${ms(cpu.database)}, clients ${ms(cpu.client)}`;
}

export const round = (n: number, digits = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fixed-width table. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1), 0))));
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - [...s].reduce((x, ch) => x + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1), 0)));
  const line = (r: string[]) => '| ' + r.map((c, i) => pad(c, widths[i]!)).join(' | ') + ' |';
  return [line(headers), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.slice(1).map(line)].join('\n');
}

// ── database ──────────────────────────────────────────────────────────────

export interface BenchDatabase {
  /** Base URI (without a database name). */
  uri: string;
  embedded: boolean;
  /** The embedded FerretDB's process (none with MONGODB_URI), for CPU accounting. */
  pid: number | null;
  client: MongoClient;
  db(name: string): Db;
  /** The URI naming a database, for a child server's MONGODB_URI. */
  uriFor(name: string): string;
  close(): Promise<void>;
}

/** MONGODB_URI when set, else an embedded FerretDB in a temporary directory. */
export async function startDatabase(): Promise<BenchDatabase> {
  const given = process.env.MONGODB_URI?.trim();
  let stop: (() => Promise<void>) | null = null;
  let pid: number | null = null;
  let uri: string;
  if (given) uri = given;
  else {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cg-bench-db-'));
    const embedded = await startEmbeddedFerretDB({ dataDir });
    uri = embedded.uri;
    pid = embedded.pid ?? null;
    stop = () => embedded.stop();
  }
  const client = new MongoClient(uri, given ? {} : { directConnection: true, retryWrites: false });
  await client.connect();
  const uriFor = (name: string) => {
    const m = /^(mongodb(?:\+srv)?:\/\/[^/?]+)\/?([^?]*)(\?.*)?$/.exec(uri);
    if (!m) throw new Error(`unexpected MongoDB URI: ${uri}`);
    return `${m[1]}/${name}${m[3] ?? ''}`;
  };
  return {
    uri,
    embedded: !given,
    pid,
    client,
    db: (name) => client.db(name),
    uriFor,
    async close() {
      await client.close().catch(() => {});
      await stop?.();
    },
  };
}

// ── child servers ─────────────────────────────────────────────────────────

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  rssBytes(): number;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const emptyProcessesDir = mkdtempSync(path.join(os.tmpdir(), 'cg-bench-processes-'));

/** Runs `node build/server/main.js` on loopback with the given database; resolves once it listens. */
export async function startServer(mongodbUri: string, port?: number, extraEnv: Record<string, string> = {}): Promise<ServerProcess> {
  const chosen = port ?? (await freePort());
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'cg-bench-server-')),
      MONGODB_URI: mongodbUri,
      // What a server started without MONGODB_URI runs (this server is the database's only one), unless told.
      STORAGE_STRATEGY: 'embedded',
      NODE_ENV: 'development',
      // The bench deploys its own processes; an empty folder keeps restarts fast.
      PROCESSES_DIR: emptyProcessesDir,
      ...extraEnv,
      PORT: String(chosen),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log += chunk;
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    // Start-up reads every open task (25 s at 100k on an idle machine): a busy machine gets five minutes.
    const timer = setTimeout(() => reject(new Error(`server did not start in 300 s:\n${log.slice(-3000)}`)), 300_000);
    const check = () => {
      if (/listening on/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} during start-up:\n${log.slice(-3000)}`));
    });
  });
  return {
    url: `http://127.0.0.1:${chosen}`,
    port: chosen,
    child,
    output: () => log,
    rssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
      return kb * 1024;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

// ── HTTP ──────────────────────────────────────────────────────────────────

export interface ApiResult {
  status: number;
  body: any;
  ms: number;
}

/**
 * The bench's HTTP client: node:http with kept-alive connections. The load generator shares the machine's two
 * cores with the server and FerretDB, so it should cost little: `fetch` (undici) spent ≈ 1.1 ms of CPU per task
 * completion here, this ≈ 0.5 ms.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

export function api(url: string, token: string | null, method: string, p: string, body?: unknown, timeoutMs = 30_000): Promise<ApiResult> {
  const started = performance.now();
  const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const headers: Record<string, string | number> = {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(payload ? { 'content-type': typeof body === 'string' ? 'application/xml' : 'application/json', 'content-length': payload.length } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${p}`, { method, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = null;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          parsed = { raw: text.slice(0, 200) };
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - started });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms: ${method} ${p}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function login(url: string, username: string): Promise<string> {
  const res = await api(url, null, 'POST', '/api/auth/login', { username, password: 'demo' });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** Runs `worker(i)` for i in 0..n-1 with at most `concurrency` at once. */
export async function pool<T>(n: number, concurrency: number, worker: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await worker(i);
      }
    }),
  );
  return out;
}
