import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Db } from 'mongodb';
import { createApp, sweepExpiredSessions } from './app.js';
import { readHttpSettings } from './http/settings.js';
import { startSweeper, sweepExpiredTokens } from './auth/tokens.js';
import { ensureProductionAdmin } from './auth/users.js';
import { disableDemoUsers, seedDemoOrganisation } from './org/demo.js';
import { readConfig } from './config.js';
import { holidayTableCovers, useHolidayTable } from './notices/calendar.js';
import { holidayTableWith } from './notices/holidays.js';
import { ensureIndexes } from './db/collections.js';
import { openDatabase, redactUri, type Database } from './db/connect.js';
import { systemClock, type Clock } from './engine/clock.js';
import { setEngineClock } from './engine/clock-timer.js';
import { restoreManualClock, SETTINGS_COLLECTION } from './runtime/clock-store.js';
import { RuntimeError } from './runtime/api.js';
import { OwnerLease } from './runtime/owner-lease.js';
import { Runtime } from './runtime/runtime.js';
import { collections } from './db/collections.js';
import { liveEngines } from './engine/run-step.js';
import { serviceHandlers } from './services/registry.js';
import { importBpmn } from './bpmn/import.js';
import { isError } from './bpmn/problem.js';
import { projectRoot } from './project-root.js';

/**
 * The server process: configuration → database (MONGODB_URI or the embedded FerretDB) → indexes → users →
 * clock → runtime → the process files in processes/ → HTTP → timer poller. SIGTERM/SIGINT stop it cleanly.
 */

const log = (message: string) => console.log(`[server] ${message}`);

/** SESSION_SECRET, else a secret generated once and kept in `settings` `{ _id: 'sessionSecret' }`. */
async function sessionSecret(db: Db, fromEnv: string): Promise<string> {
  if (fromEnv) return fromEnv;
  const settings = db.collection<{ _id: string; value: string }>(SETTINGS_COLLECTION);
  const existing = await settings.findOne({ _id: 'sessionSecret' });
  if (existing?.value) return existing.value;
  const value = randomBytes(32).toString('base64url');
  try {
    await settings.insertOne({ _id: 'sessionSecret', value });
    return value;
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    return (await settings.findOne({ _id: 'sessionSecret' }))!.value;
  }
}

/** Deploys every `processes/*.bpmn` (PROCESSES_DIR overrides the folder) (unchanged files keep their version); throws on the first that fails. */
async function deployProcessFiles(runtime: Runtime, dir: string): Promise<void> {
  if (!existsSync(dir)) {
    log(`没有流程目录 / no process directory: ${dir}`);
    return;
  }
  const files = (await readdir(dir)).filter((f) => f.endsWith('.bpmn')).sort();
  for (const file of files) {
    // Read in the encoding the file names, and converted like an upload (a GBK file from a Chinese tool works too).
    const imported = importBpmn(await readFile(path.join(dir, file)));
    try {
      if (imported.problems.some(isError)) throw new RuntimeError('invalid_bpmn', '文件无法读取', { problems: imported.problems });
      const result = await runtime.deploy(imported.xml, null);
      const { converted, dropped } = imported.conversion;
      if (converted.length || dropped.length) log(`${file}：转换 ${converted.length} 处，舍弃 ${dropped.length} 处 / converted ${converted.length}, dropped ${dropped.length}`);
      log(
        `${result.created ? '已部署新版本 / deployed' : '未变化 / unchanged'}: ${file} → ${result.key} v${result.version}` +
          (result.definition.name ? `（${result.definition.name}）` : ''),
      );
    } catch (err) {
      const lines = [`流程文件部署失败 / cannot deploy ${file}: ${err instanceof Error ? err.message : String(err)}`];
      if (err instanceof RuntimeError) {
        for (const p of err.details.problems ?? []) {
          lines.push(`  - ${p.elementId ? `[${p.elementId}] ` : ''}${p.message}${p.line ? ` (line ${p.line})` : ''}`);
        }
      }
      throw new Error(lines.join('\n'), { cause: err });
    }
  }
  log(`流程文件 / process files: ${files.length}`);
}

/** Fires due timers every second by the system clock; a run never overlaps the previous one. */
function startTimerPoller(runtime: Runtime, intervalMs = 1000) {
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    timer = null;
    current = runtime
      .fireDueTimers()
      .then((fired) => {
        if (fired) log(`定时器触发 / timers fired: ${fired}`);
      })
      .catch((err) => console.error('[server] timer poll failed:', err instanceof Error ? err.stack : err))
      .finally(() => {
        current = null;
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}

async function main(): Promise<void> {
  const config = readConfig();
  // Statutory holidays of years published after this release (server/notices/holidays.ts); a bad file stops here.
  useHolidayTable(holidayTableWith(config.holidaysFile));
  const nextYear = new Date().getUTCFullYear() + 1;
  if (!holidayTableCovers(new Date(Date.UTC(nextYear, 0, 1)), new Date(Date.UTC(nextYear, 0, 1)))) {
    log(`${nextYear} 年的法定节假日安排不在节假日表中：跨入该年的工作日公示期只扣除周末（用 HOLIDAYS_FILE 补充）`);
  }
  const httpSettings = readHttpSettings();
  if (config.production && httpSettings.cookieSecure === false) {
    log('提示 / note: COOKIE_SECURE is not set; set COOKIE_SECURE=1 when served over HTTPS');
  }

  let database: Database | null = null;
  let server: Server | null = null;
  let poller: { stop(): Promise<void> } | null = null;
  let runtime: Runtime | null = null;
  let sweeper: { stop(): Promise<void> } | null = null;
  let lease: OwnerLease | null = null;

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      log(`再次收到 ${signal}，立即退出 / second ${signal}: exiting now`);
      process.exit(1);
    }
    shuttingDown = true;
    log(`收到 ${signal}，正在停止 / ${signal}: shutting down`);
    try {
      if (server) {
        const closing = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.race([closing, new Promise((r) => setTimeout(r, 10_000).unref())]);
        server.closeAllConnections();
      }
      await sweeper?.stop();
      await poller?.stop();
      await runtime?.close();
      await lease?.release();
      await database?.close();
      log('已停止 / stopped');
      process.exit(0);
    } catch (err) {
      console.error('[server] shutdown failed:', err);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    log(config.mongodbUri ? `数据库 / database: ${redactUri(config.mongodbUri)}` : `内置数据库 / embedded FerretDB in ${config.dataDir}`);
    database = await openDatabase({ uri: config.mongodbUri, dataDir: config.dataDir });
    const { db } = database;
    await ensureIndexes(db);

    if (config.production) {
      const disabled = await disableDemoUsers(db);
      if (disabled.length) log(`已停用演示账号 / demo users disabled: ${disabled.join(', ')}`);
      const admin = await ensureProductionAdmin(db);
      log(`管理员 / administrator "${admin.username}": ${admin.action}`);
    } else {
      const created = await seedDemoOrganisation(db);
      log(
        created.length
          ? `已创建演示账号（密码 demo）/ demo users created (password demo): ${created.join(', ')}`
          : '演示账号已存在 / demo users present (password demo)',
      );
    }

    let clock: Clock = systemClock;
    if (config.manualClock) {
      clock = await restoreManualClock(db);
      log(`手动时钟 / manual clock: ${clock.now().toISOString()} (POST /api/admin/clock)`);
    }
    setEngineClock(clock);
    liveEngines.capacity = config.liveEngines;

    if (config.strategy === 'embedded') lease = await OwnerLease.acquire(collections(db).leases);
    log(`存储策略 / storage strategy: ${config.strategy}`);
    runtime = await Runtime.create({
      db,
      clock,
      services: serviceHandlers,
      strategy: config.strategy,
      ...(Number(process.env.REMIND_INTERVAL_MINUTES) > 0 ? { remindIntervalMinutes: Number(process.env.REMIND_INTERVAL_MINUTES) } : {}),
    });
    await deployProcessFiles(runtime, path.resolve(process.env.PROCESSES_DIR?.trim() || path.join(projectRoot(), 'processes')));

    const app = createApp({
      runtime,
      db,
      config,
      clock,
      knownTopics: Object.keys(serviceHandlers),
      http: { sessionSecret: await sessionSecret(db, httpSettings.sessionSecret) },
    });
    // No TTL indexes on FerretDB: expired bearer tokens and sessions are deleted every 10 minutes.
    sweeper = startSweeper(() => Promise.all([sweepExpiredTokens(db), sweepExpiredSessions(db)]));

    await new Promise<void>((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve());
      s.once('error', reject);
      server = s;
    });
    const address = server!.address();
    const port = typeof address === 'object' && address ? address.port : config.port;

    if (!clock.manual) poller = startTimerPoller(runtime);
    console.log(`listening on http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`);
  } catch (err) {
    console.error(`[server] 启动失败 / start-up failed:\n${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof Error && err.cause instanceof Error && !(err.cause instanceof RuntimeError)) console.error(err.cause.stack);
    await poller?.stop().catch(() => {});
    await database?.close().catch(() => {});
    process.exit(1);
  }
}

await main();
