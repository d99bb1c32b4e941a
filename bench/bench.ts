import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BSON, type Db } from 'mongodb';
import { ensureIndexes } from '../server/db/collections.js';
import { seedDemoOrganisation } from '../server/org/demo.js';
import { systemClock } from '../server/engine/clock.js';
import { setEngineClock } from '../server/engine/clock-timer.js';
import { runStep, type StepResult } from '../server/engine/run-step.js';
import type { Actor } from '../server/runtime/api.js';
import type { RunnableDefinition } from '../server/runtime/definitions.js';
import { Runtime } from '../server/runtime/runtime.js';
import { serviceHandlers } from '../server/services/registry.js';
import {
  api,
  CpuMeter,
  cpuText,
  login,
  parseArgs,
  percentile,
  pool,
  ROOT,
  rng,
  round,
  sleep,
  startDatabase,
  startServer,
  summarize,
  table,
  type BenchDatabase,
  type CpuPerCompletion,
  type ServerProcess,
} from './common.js';
import { databaseFloor } from './floor.js';
import { LOOP_KEY, loopXml, startValues, valuesFor, WORKLOAD_KEY, workloadXml } from './workload.js';

/**
 * `npm run bench [-- --quick] [-- --json PATH] [-- --seed N]`: the reference workload through the bare engine,
 * the durable runtime and the REST API; inbox latency and server memory with many waiting instances; state size.
 */

const args = parseArgs();
const Q = args.quick;
const cfg = {
  rounds: Q ? 3 : 5,
  bareInstances: Q ? 30 : 300,
  durableInstances: Q ? 3 : 40,
  /** Instances in flight for the throughput rounds (bare and durable alike), and how many per round. */
  inFlight: 8,
  inFlightDurableInstances: Q ? 16 : 80,
  httpSeconds: Q ? 2 : 12,
  httpWarmupSeconds: Q ? 0.5 : 3,
  httpRounds: Q ? 1 : 3,
  concurrency: [1, 4, 16, 64],
  inboxSizes: args.sizes ?? (Q ? [1_000, 3_000] : [1_000, 10_000, 100_000]),
  inboxSamples: Q ? 10 : 200,
  loopSteps: Q ? 30 : 300,
};

const officer: Actor = { id: 'street-office', groups: ['street-office'], displayName: '街道办事处' };
const expertActor = (id: string): Actor => ({ id, groups: ['expert'], displayName: id });
const log = (msg: string) => console.log(`[bench] ${msg}`);
const bson = (doc: unknown) => BSON.calculateObjectSize(doc as BSON.Document);

async function newRuntime(db: Db) {
  await ensureIndexes(db);
  const runtime = await Runtime.create({ db, clock: systemClock, services: serviceHandlers });
  await runtime.deploy(workloadXml, null);
  await runtime.deploy(loopXml, null);
  return runtime;
}

// ── 1. bare engine ─────────────────────────────────────────────────────────

async function bareInstance(def: RunnableDefinition, n: number, score: number): Promise<number> {
  const base = {
    sourceContext: def.sourceContext,
    model: def.model,
    incidents: [],
    clock: systemClock,
    services: serviceHandlers,
    instance: { id: `bare-${n}`, processKey: def.doc.key, processName: def.doc.name ?? def.doc.key, businessKey: null },
  };
  let steps = 1;
  let r: StepResult = await runStep({ ...base, state: null, variables: startValues(n), action: { type: 'start' } });
  // runStep's `tasks` still lists a completed parallel multi-instance iteration (the runtime masks it by closing
  // the task record), so the driver remembers what it completed.
  const done = new Set<string>();
  for (;;) {
    const t = r.tasks.find((w) => !done.has(w.executionId));
    if (r.status !== 'running' || !t) break;
    done.add(t.executionId);
    const user = typeof t.elementValue === 'string' ? t.elementValue : 'street-office';
    r = await runStep({ ...base, state: r.state, variables: r.variables, action: { type: 'complete', executionId: t.executionId, values: valuesFor(t.elementId, score), user } });
    steps++;
  }
  if (r.status !== 'completed') throw new Error(`bare instance ${n} ended ${r.status}`);
  return steps;
}

// ── 2. durable runtime ─────────────────────────────────────────────────────

async function durableInstance(runtime: Runtime, n: number, score: number): Promise<number> {
  let view = await runtime.startInstance(WORKLOAD_KEY, { businessKey: `B-${n}`, variables: startValues(n) }, officer);
  let steps = 1;
  while (view.openTasks.length) {
    const t = view.openTasks[0]!;
    const actor = t.assignee ? expertActor(t.assignee) : officer;
    view = (await runtime.complete(t._id, valuesFor(t.elementId, score), actor)).instance;
    steps++;
  }
  if (view.instance.status !== 'completed') throw new Error(`durable instance ${n} ended ${view.instance.status}`);
  return steps;
}

/**
 * `inFlight` instances at a time (1: one after the other, a latency measure; more: a throughput measure, where the
 * durable runtime's database work overlaps other instances' engine steps, as on a server with many users).
 */
async function rounds(label: string, count: number, run: (n: number, score: number) => Promise<number>, inFlight = 1, databasePid: number | null = null) {
  const rand = rng(args.seed);
  const score = () => 50 + Math.floor(rand() * 51); // ~20 % take the gateway's default (rejected) path
  let n = 0;
  const batch = async (size: number) => {
    const scores = Array.from({ length: size }, () => score());
    const first = n;
    n += size;
    return (await pool(size, inFlight, (i) => run(first + i, scores[i]!))).reduce((a, b) => a + b, 0);
  };
  // warm-up: one round's worth of a third
  await batch(Math.max(3, Math.floor(count / 3)));
  const perSec: number[] = [];
  const stepsPerSec: number[] = [];
  // The engine and the runtime run in this process; the database (embedded FerretDB) in its own.
  const cpu = new CpuMeter({ server: process.pid, database: databasePid });
  let allSteps = 0;
  for (let r = 0; r < cfg.rounds; r++) {
    const started = performance.now();
    cpu.begin();
    const steps = await batch(count);
    cpu.end();
    const seconds = (performance.now() - started) / 1000;
    perSec.push(count / seconds);
    stepsPerSec.push(steps / seconds);
    allSteps += steps;
  }
  const perStep = cpu.perCompletion(allSteps);
  const cpuMsPerStep = { node: perStep.server === null ? null : round(perStep.server, 2), database: databasePid && perStep.database !== null ? round(perStep.database, 2) : null };
  log(`${label}: ${perSec.map((x) => round(x)).join(', ')} instances/s; ${stepCpuText(cpuMsPerStep)}`);
  return { instances: summarize(perSec), steps: summarize(stepsPerSec), cpuMsPerStep };
}

// ── 6. state size ──────────────────────────────────────────────────────────

async function stateSize(runtime: Runtime, db: Db) {
  const c = runtime.collections;
  await runtime.flush(); // settled commits drop their predecessor's payload; count what stays
  // bytes per instance: every document the workload leaves behind, for completed instances of the durable run
  const ids = (await c.instances.find({ processKey: WORKLOAD_KEY, status: 'completed' }, { projection: { _id: 1 } }).limit(20).toArray()).map((d) => d._id);
  let total = 0;
  const byCollection: Record<string, number> = {};
  for (const id of ids) {
    for (const [name, docs] of [
      ['instances', await c.instances.find({ _id: id }).toArray()],
      ['tasks', await c.tasks.find({ instanceId: id }).toArray()],
      ['audit', await c.audit.find({ instanceId: id }).toArray()],
      ['commits', await c.commits.find({ instanceId: id }).toArray()],
      ['signoffs', await c.signoffs.find({ instanceId: id }).toArray()],
    ] as const) {
      const bytes = (docs as unknown[]).reduce<number>((s, d) => s + bson(d), 0);
      byCollection[name] = (byCollection[name] ?? 0) + bytes;
      total += bytes;
    }
  }
  for (const k of Object.keys(byCollection)) byCollection[k] = Math.round(byCollection[k]! / ids.length);
  const perInstance = Math.round(total / ids.length);

  // per step of one workload instance: size of the instance document (engine state + variables) after each step
  const perStep: { step: string; instanceBytes: number; engineStateBytes: number }[] = [];
  let view = await runtime.startInstance(WORKLOAD_KEY, { businessKey: 'size', variables: startValues(0) }, officer);
  const snap = async (step: string) => {
    const doc = await c.instances.findOne({ _id: view.instance._id });
    perStep.push({ step, instanceBytes: bson(doc), engineStateBytes: bson({ s: doc!.engineState }) });
  };
  await snap('start');
  while (view.openTasks.length) {
    const t = view.openTasks[0]!;
    view = (await runtime.complete(t._id, valuesFor(t.elementId, 90), t.assignee ? expertActor(t.assignee) : officer)).instance;
    await snap(`${t.elementId}${t.loopIndex !== null && t.loopIndex !== undefined ? `[${t.loopIndex}]` : ''}`);
  }

  // unbounded growth check: one instance looping over a user task; the instance document must stay flat
  let loop = await runtime.startInstance(LOOP_KEY, { businessKey: 'loop' }, officer);
  const id = loop.instance._id;
  const growth: { steps: number; instanceBytes: number; commitsBytes: number; auditBytes: number; tasksBytes: number }[] = [];
  const measure = async (steps: number) => {
    const sum = async (docs: Promise<unknown[]>) => (await docs).reduce<number>((s, d) => s + bson(d), 0);
    await runtime.flush();
    growth.push({
      steps,
      instanceBytes: bson(await c.instances.findOne({ _id: id })),
      commitsBytes: await sum(c.commits.find({ instanceId: id }).toArray()),
      auditBytes: await sum(c.audit.find({ instanceId: id }).toArray()),
      tasksBytes: await sum(c.tasks.find({ instanceId: id }).toArray()),
    });
  };
  for (let s = 1; s <= cfg.loopSteps; s++) {
    const t = loop.openTasks[0]!;
    loop = (await runtime.complete(t._id, { round: s }, officer)).instance;
    if (s === 10 || s % Math.max(10, Math.floor(cfg.loopSteps / 3)) === 0) await measure(s);
  }
  const first = growth[0]!;
  const last = growth[growth.length - 1]!;
  const instanceGrowthPerStep = (last.instanceBytes - first.instanceBytes) / (last.steps - first.steps);
  void db;
  return { perInstance, byCollection, perStep, growth, instanceGrowthPerStep };
}

// ── 3. HTTP ────────────────────────────────────────────────────────────────

async function http(bench: BenchDatabase) {
  const dbName = 'bench_http';
  await bench.db(dbName).dropDatabase();
  const server = await startServer(bench.uriFor(dbName));
  try {
    const admin = await login(server.url, 'admin');
    const dep = await api(server.url, admin, 'POST', '/api/processes', workloadXml);
    if (dep.status !== 201 && dep.status !== 200) throw new Error(`deploy: ${dep.status} ${JSON.stringify(dep.body)}`);
    const tokens: Record<string, string> = { 'street-office': await login(server.url, 'street-office') };
    for (const e of ['expert1', 'expert2', 'expert3']) tokens[e] = await login(server.url, e);

    const results: {
      clients: number;
      perSec: number;
      spreadPct: number;
      p50: number;
      p95: number;
      p99: number;
      errors: number;
      startP50: number;
      cpu: CpuPerCompletion;
    }[] = [];
    for (const clients of cfg.concurrency) {
      const rates: number[] = [];
      const latencies: number[] = [];
      const startLatencies: number[] = [];
      let errors = 0;
      // CPU of the three processes sharing the machine, over the measured windows (each request is a start or a
      // completion; CPU is divided by completions, the starts riding along as they do in the workload).
      const cpu = new CpuMeter({ server: server.child.pid, database: bench.pid });
      for (let r = 0; r < cfg.httpRounds; r++) {
        const rand = rng(args.seed + clients + r);
        let measuring = false;
        let stop = false;
        let completions = 0;
        let n = 0;
        const client = async () => {
          while (!stop) {
            const i = n++;
            const started = await api(server.url, tokens['street-office']!, 'POST', `/api/processes/${WORKLOAD_KEY}/instances`, { variables: startValues(i) });
            if (started.status !== 201) {
              errors++;
              continue;
            }
            if (measuring) startLatencies.push(started.ms);
            const score = 50 + Math.floor(rand() * 51);
            let open: { id: string; elementId: string; assignee: string | null }[] = started.body.openTasks;
            while (open.length && !stop) {
              const t = open[0]!;
              const res = await api(server.url, tokens[t.assignee ?? 'street-office']!, 'POST', `/api/tasks/${encodeURIComponent(t.id)}/complete`, {
                variables: valuesFor(t.elementId, score),
              });
              if (res.status !== 200) {
                errors++;
                break;
              }
              if (measuring) {
                completions++;
                latencies.push(res.ms);
              }
              open = res.body.instance.openTasks;
            }
          }
        };
        const running = Array.from({ length: clients }, () => client());
        await sleep(cfg.httpWarmupSeconds * 1000);
        measuring = true;
        const t0 = performance.now();
        cpu.begin();
        await sleep(cfg.httpSeconds * 1000);
        measuring = false;
        cpu.end();
        const seconds = (performance.now() - t0) / 1000;
        stop = true;
        await Promise.all(running);
        rates.push(completions / seconds);
      }
      const s = summarize(rates);
      results.push({
        clients,
        perSec: s.median,
        spreadPct: s.spreadPct,
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        errors,
        startP50: percentile(startLatencies, 50),
        cpu: cpu.perCompletion(latencies.length),
      });
      log(`http ${clients} clients: ${round(s.median)} completions/s, p95 ${round(percentile(latencies, 95))} ms, errors ${errors}; ${cpuText(results.at(-1)!.cpu)}`);
    }
    return results;
  } finally {
    await server.stop();
  }
}

// ── 4 + 5. inbox at scale and memory ───────────────────────────────────────

const stepCpuText = (cpu: { node: number | null; database: number | null }) =>
  `CPU ms/step: Node ${cpu.node ?? 'n/a'}${cpu.database === null ? '' : `, database ${cpu.database}`}`;

const roundCpu = (cpu: CpuPerCompletion): CpuPerCompletion => ({
  server: cpu.server === null ? null : round(cpu.server, 2),
  database: cpu.database === null ? null : round(cpu.database, 2),
  client: round(cpu.client, 2),
});

/**
 * The server's RSS once it is idle and its memory has settled: start-up's scan of the open tasks leaves garbage that
 * V8 gives back to the system only after a few idle seconds, so one early reading says more about when it was taken
 * than about the instances (at 100k: 208 MB right after start-up, 122 MB a few seconds later). Read every 500 ms
 * for at least 10 s, then until it has not fallen by more than 1 % in 3 s, or 30 s have passed.
 */
async function settledRss(server: ServerProcess): Promise<number> {
  const readings: number[] = [server.rssBytes()];
  for (let i = 0; i < 60; i++) {
    await sleep(500);
    readings.push(server.rssBytes());
    const before = readings[readings.length - 7];
    if (readings.length > 20 && before !== undefined && readings[readings.length - 1]! >= before * 0.99) break;
  }
  return readings[readings.length - 1]!;
}

async function inbox(bench: BenchDatabase) {
  const dbName = 'bench_inbox';
  const db = bench.db(dbName);
  await db.dropDatabase();
  await ensureIndexes(db);
  await seedDemoOrganisation(db);
  const runtime = await newRuntime(db);
  // One real instance waiting at its first task is the template the others are cloned from: a case of 新华街道, whose
  // task is offered to `street-office@demo-street-1`; every other clone is 光明街道's, which the inbox must skip.
  const streetOfficer: Actor = { ...officer, unitId: 'demo-street-1' };
  const real = await runtime.startInstance(WORKLOAD_KEY, { businessKey: 'template', variables: startValues(0) }, streetOfficer);
  const c = runtime.collections;
  const template = (await c.instances.findOne({ _id: real.instance._id }))!;
  const templateTasks = await c.tasks.find({ instanceId: template._id }).toArray();
  const templateAudit = await c.audit.find({ instanceId: template._id }).toArray();
  const swap = <T>(doc: T, from: string, to: string): T => JSON.parse(JSON.stringify(doc).split(from).join(to), (_k, v) =>
    typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) ? new Date(v) : v);
  let count = 1;
  const base = Date.now() - 200 * 86_400_000;
  const seedTo = async (target: number) => {
    const started = performance.now();
    while (count < target) {
      const batch = Math.min(1000, target - count);
      const instances: any[] = [];
      const tasks: any[] = [];
      const audit: any[] = [];
      for (let i = 0; i < batch; i++) {
        const id = randomUUID();
        const at = new Date(base + (count + i) * 1000);
        const other = (count + i) % 2 === 1;
        const scoped = <T>(doc: T): T => (other ? swap(doc, 'demo-street-1', 'demo-street-2') : doc);
        const inst = scoped(swap(template, template._id, id));
        inst.businessKey = `S-${count + i}`;
        inst.startedAt = inst.updatedAt = at;
        instances.push(inst);
        for (const t of templateTasks) tasks.push({ ...scoped(swap(t, template._id, id)), createdAt: at, businessKey: inst.businessKey });
        for (const a of templateAudit) audit.push({ ...swap(a, template._id, id), at });
      }
      await c.instances.insertMany(instances, { ordered: false });
      await c.tasks.insertMany(tasks, { ordered: false });
      await c.audit.insertMany(audit, { ordered: false });
      count += batch;
    }
    return (performance.now() - started) / 1000;
  };

  const results: {
    instances: number;
    seedSeconds: number;
    startSeconds: number;
    p50: number;
    p95: number;
    p99: number;
    rssMb: number;
    returned: number;
    samples: number;
    historyP95: number;
    listP95: number;
  }[] = [];
  // The first start on a database creates the demo users (scrypt hashes, ~16 MB of memory each while hashing), which
  // leaves the first size's RSS inflated; start once beforehand so every size is measured on a warm database.
  await (await startServer(bench.uriFor(dbName))).stop();
  for (const size of cfg.inboxSizes) {
    const seedSeconds = await seedTo(size);
    log(`inbox: ${size} waiting instances seeded (${round(seedSeconds)} s)`);
    const starting = performance.now();
    const server: ServerProcess = await startServer(bench.uriFor(dbName));
    // Start-up reads every open task once to fill the server's index.
    const startSeconds = (performance.now() - starting) / 1000;
    try {
      const token = await login(server.url, 'street-office');
      // Inboxes come from the server's open-task index (docs/ARCHITECTURE.md); the long timeouts only keep a
      // regression (a query that decodes every task record) measurable instead of failing the run.
      for (let i = 0; i < 10; i++) await api(server.url, token, 'GET', '/api/tasks?scope=candidate', undefined, 600_000);
      const ms: number[] = [];
      let returned = 0;
      // At most a minute of samples per size (at least 5).
      const sampling = performance.now();
      for (let i = 0; i < cfg.inboxSamples && (i < 5 || performance.now() - sampling < 60_000); i++) {
        const res = await api(server.url, token, 'GET', '/api/tasks?scope=candidate', undefined, 600_000);
        if (res.status !== 200) throw new Error(`inbox: ${res.status} ${JSON.stringify(res.body)}`);
        returned = res.body.length;
        const foreign = (res.body as { candidateGroups: string[] }[]).filter((t) => !t.candidateGroups.includes('street-office@demo-street-1'));
        if (foreign.length) throw new Error(`inbox: ${foreign.length} tasks of another street offered to 新华街道`);
        ms.push(res.ms);
      }
      log(`inbox ${size}: ${ms.length} samples, p50 ${round(percentile(ms, 50))} ms, p95 ${round(percentile(ms, 95))} ms`);
      // An instance's history (its page, and who may see it) among that many instances' histories.
      const history: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await api(server.url, token, 'GET', `/api/instances/${real.instance._id}/audit`, undefined, 600_000);
        if (res.status !== 200 || !res.body.length) throw new Error(`history: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        if (i > 0) history.push(res.ms);
      }
      log(`instance history among ${size}: p95 ${round(percentile(history, 95))} ms`);
      // The first page of the instances this user started (all of them here): a read of every instance summary.
      const listing: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await api(server.url, token, 'GET', '/api/instances?limit=50', undefined, 600_000);
        if (res.status !== 200 || res.body.total !== size) throw new Error(`instance list: ${res.status} total ${res.body?.total}, expected ${size}`);
        if (i > 0) listing.push(res.ms);
      }
      log(`instance list among ${size}: p95 ${round(percentile(listing, 95))} ms`);
      const rssMb = (await settledRss(server)) / 1024 / 1024;
      results.push({
        instances: size,
        seedSeconds,
        startSeconds,
        p50: percentile(ms, 50),
        p95: percentile(ms, 95),
        p99: percentile(ms, 99),
        rssMb,
        returned,
        samples: ms.length,
        historyP95: percentile(history, 95),
        listP95: percentile(listing, 95),
      });
      log(`inbox ${size}: p50 ${round(percentile(ms, 50))} ms, p95 ${round(percentile(ms, 95))} ms, rss ${round(rssMb)} MB, server start ${round(startSeconds)} s`);
    } finally {
      await server.stop();
    }
  }
  return results;
}

// ── main ───────────────────────────────────────────────────────────────────

async function main() {
  const t0 = performance.now();
  log(`${Q ? 'quick' : 'full'} run, seed ${args.seed}`);
  setEngineClock(systemClock);
  const bench = await startDatabase();
  try {
    const db = bench.db('bench_durable');
    await db.dropDatabase();
    const runtime = await newRuntime(db);
    const def = await runtime.definitions.runnableById(`${WORKLOAD_KEY}:1`);

    const bare = await rounds('bare engine', cfg.bareInstances, (n, score) => bareInstance(def, n, score));
    const durable = await rounds('durable runtime', cfg.durableInstances, (n, score) => durableInstance(runtime, n, score), 1, bench.pid);
    const bareParallel = await rounds(`bare engine, ${cfg.inFlight} in flight`, cfg.bareInstances, (n, score) => bareInstance(def, n, score), cfg.inFlight);
    const durableParallel = await rounds(
      `durable runtime, ${cfg.inFlight} in flight`,
      cfg.inFlightDurableInstances,
      (n, score) => durableInstance(runtime, n, score),
      cfg.inFlight,
      bench.pid,
    );
    const floor = await databaseFloor(runtime, {
      instances: cfg.inFlightDurableInstances * cfg.rounds,
      inFlight: cfg.inFlight,
      databasePid: bench.pid,
      actor: officer,
    });
    log(`database floor, ${cfg.inFlight} in flight: ${floor.stepsPerSec} steps/s; ${stepCpuText(floor.cpuMsPerStep)}`);
    const size = await stateSize(runtime, db);
    log(`state: ${size.perInstance} bytes/instance; loop instance doc growth ${round(size.instanceGrowthPerStep)} bytes/step`);
    const httpResults = await http(bench);
    const inboxResults = await inbox(bench);

    const h16 = httpResults.find((h) => h.clients === 16)!;
    const largest = inboxResults[inboxResults.length - 1]!;
    const smallest = inboxResults[0]!;
    const durableCpu = durableParallel.cpuMsPerStep;
    const persistence =
      durableCpu.node !== null && durableCpu.database !== null && bareParallel.cpuMsPerStep.node !== null
        ? durableCpu.node + durableCpu.database - bareParallel.cpuMsPerStep.node
        : null;
    const figures = {
      mode: Q ? 'quick' : 'full',
      seed: args.seed,
      at: new Date().toISOString(),
      node: process.version,
      database: bench.embedded ? 'embedded FerretDB 1.24 (SQLite)' : 'MONGODB_URI',
      bareInstancesPerSec: round(bare.instances.median),
      bareStepsPerSec: round(bare.steps.median),
      bareSpreadPct: round(bare.instances.spreadPct),
      durableInstancesPerSec: round(durable.instances.median),
      durableStepsPerSec: round(durable.steps.median),
      durableSpreadPct: round(durable.instances.spreadPct),
      durableToBare: round(durable.instances.median / bare.instances.median, 3),
      inFlight: cfg.inFlight,
      bareInFlightInstancesPerSec: round(bareParallel.instances.median),
      durableInFlightInstancesPerSec: round(durableParallel.instances.median),
      durableToBareInFlight: round(durableParallel.instances.median / bareParallel.instances.median, 3),
      /** What persisting adds per step with 8 in flight: durable Node + database CPU − the bare engine's CPU. */
      persistenceMsPerStep: persistence === null ? null : round(persistence, 2),
      persistenceToBare: persistence === null ? null : round(persistence / bareParallel.cpuMsPerStep.node!, 2),
      databaseFloor: floor,
      /** Where each kind's CPU went, per engine step: the Node process (engine and runtime) and the database. */
      cpuMsPerStep: {
        bare: bare.cpuMsPerStep,
        durable: durable.cpuMsPerStep,
        bareInFlight: bareParallel.cpuMsPerStep,
        durableInFlight: durableParallel.cpuMsPerStep,
      },
      httpCompletionsPerSec16: round(h16.perSec),
      httpP95Ms16: round(h16.p95),
      http: httpResults.map(({ cpu, ...h }) => ({
        ...h,
        perSec: round(h.perSec),
        spreadPct: round(h.spreadPct),
        p50: round(h.p50),
        p95: round(h.p95),
        p99: round(h.p99),
        startP50: round(h.startP50),
        cpuMsPerCompletion: roundCpu(cpu),
      })),
      inboxP95Ms: round(largest.p95),
      inboxInstances: largest.instances,
      inbox: inboxResults.map((r) => ({
        ...r,
        seedSeconds: round(r.seedSeconds),
        p50: round(r.p50),
        p95: round(r.p95),
        p99: round(r.p99),
        rssMb: round(r.rssMb),
        startSeconds: round(r.startSeconds),
        historyP95: round(r.historyP95),
        listP95: round(r.listP95),
      })),
      rssMb1k: round(smallest.rssMb),
      rssMbLargest: round(largest.rssMb),
      rssRatio: round(largest.rssMb / smallest.rssMb, 3),
      stateBytesPerInstance: size.perInstance,
      stateBytesByCollection: size.byCollection,
      statePerStep: size.perStep,
      stateGrowth: size.growth,
      instanceDocGrowthBytesPerStep: round(size.instanceGrowthPerStep),
      bare: { rounds: bare.instances.rounds.map((x) => round(x)) },
      durable: { rounds: durable.instances.rounds.map((x) => round(x)) },
      seconds: 0,
    };
    const targets = [
      { target: 'durable ≥ 0.5 × bare (one instance at a time)', value: `${figures.durableToBare} ×`, met: figures.durableToBare >= 0.5 },
      {
        target: `durable ≥ 0.5 × bare (${cfg.inFlight} instances in flight)`,
        value: `${figures.durableToBareInFlight} ×`,
        met: figures.durableToBareInFlight >= 0.5,
      },
      {
        target: `persistence CPU per step ≤ 0.5 × bare (${cfg.inFlight} in flight)`,
        value: `${figures.persistenceMsPerStep} ms = ${figures.persistenceToBare} × (database floor ${floor.cpuMsPerStep.database} ms)`,
        met: figures.persistenceToBare !== null && figures.persistenceToBare <= 0.5,
      },
      { target: 'HTTP ≥ 250 completions/s at 16 clients', value: `${figures.httpCompletionsPerSec16}/s`, met: figures.httpCompletionsPerSec16 >= 250 },
      { target: 'HTTP p95 ≤ 50 ms at 16 clients', value: `${figures.httpP95Ms16} ms`, met: figures.httpP95Ms16 <= 50 },
      { target: `inbox p95 ≤ 20 ms at 100k (measured at ${largest.instances})`, value: `${figures.inboxP95Ms} ms`, met: figures.inboxP95Ms <= 20 && largest.instances >= 100_000 },
      { target: `RSS(${largest.instances}) ≤ 1.5 × RSS(1k)`, value: `${figures.rssRatio} ×`, met: figures.rssRatio <= 1.5 },
      { target: 'instance document bounded (loop)', value: `${figures.instanceDocGrowthBytesPerStep} B/step`, met: Math.abs(figures.instanceDocGrowthBytesPerStep) < 5 },
    ];
    figures.seconds = round((performance.now() - t0) / 1000);

    console.log('');
    console.log(
      table(
        ['measure', 'median', 'spread', 'detail'],
        [
          ['bare engine', `${figures.bareInstancesPerSec} inst/s`, `${figures.bareSpreadPct}%`, `${figures.bareStepsPerSec} steps/s, ${cfg.rounds}×${cfg.bareInstances}; ${stepCpuText(bare.cpuMsPerStep)}`],
          [
            'durable runtime',
            `${figures.durableInstancesPerSec} inst/s`,
            `${figures.durableSpreadPct}%`,
            `${figures.durableStepsPerSec} steps/s, ${cfg.rounds}×${cfg.durableInstances}; ${stepCpuText(durable.cpuMsPerStep)}`,
          ],
          [
            `bare, ${cfg.inFlight} in flight`,
            `${figures.bareInFlightInstancesPerSec} inst/s`,
            `${round(bareParallel.instances.spreadPct)}%`,
            `${round(bareParallel.steps.median)} steps/s, ${cfg.rounds}×${cfg.bareInstances}; ${stepCpuText(bareParallel.cpuMsPerStep)}`,
          ],
          [
            `durable, ${cfg.inFlight} in flight`,
            `${figures.durableInFlightInstancesPerSec} inst/s`,
            `${round(durableParallel.instances.spreadPct)}%`,
            `${round(durableParallel.steps.median)} steps/s, ${cfg.rounds}×${cfg.inFlightDurableInstances}; ${stepCpuText(durableParallel.cpuMsPerStep)}`,
          ],
          [
            `database floor, ${cfg.inFlight} in flight`,
            `${floor.stepsPerSec} steps/s`,
            '',
            `the 4 writes of a step and nothing else (bench/floor.ts), ${floor.steps} steps; ${stepCpuText(floor.cpuMsPerStep)}`,
          ],
          ...figures.http.map((h) => [`HTTP ${h.clients} clients`, `${h.perSec} compl/s`, `${h.spreadPct}%`, `p50 ${h.p50} / p95 ${h.p95} / p99 ${h.p99} ms, errors ${h.errors}; ${cpuText(h.cpuMsPerCompletion)}`]),
          ...figures.inbox.map((r) => [`inbox ${r.instances}`, `p95 ${r.p95} ms`, '', `p50 ${r.p50} / p99 ${r.p99} ms (${r.samples} samples), server RSS ${r.rssMb} MB, start ${r.startSeconds} s`]),
          ...figures.inbox.map((r) => [`history among ${r.instances}`, `p95 ${r.historyP95} ms`, '', `GET /api/instances/:id/audit, 5 samples`]),
          ...figures.inbox.map((r) => [`instance list of ${r.instances}`, `p95 ${r.listP95} ms`, '', `GET /api/instances?limit=50 (first page and total), 3 samples`]),
          ['state per instance', `${figures.stateBytesPerInstance} B`, '', Object.entries(figures.stateBytesByCollection).map(([k, v]) => `${k} ${v}`).join(', ')],
          ['loop instance doc', `${figures.instanceDocGrowthBytesPerStep} B/step`, '', figures.stateGrowth.map((g) => `${g.steps}:${g.instanceBytes}`).join(' ')],
        ],
      ),
    );
    console.log('');
    console.log(table(['target', 'value', 'met'], targets.map((t) => [t.target, t.value, t.met ? 'yes' : 'NO'])));
    const out = args.json ?? path.join(ROOT, 'build/bench/results.json');
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileSync(out, JSON.stringify({ ...figures, targets }, null, 2));
    log(`figures written to ${out} (${figures.seconds} s)`);
  } finally {
    await bench.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);

