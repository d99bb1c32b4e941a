import type { Db } from 'mongodb';
import { api, login, parseArgs, pool, sleep, startDatabase, startServer, table, type ServerProcess } from './common.js';
import { LOOP_KEY, loopXml, TIMER_KEY, timerXml, WORKLOAD_KEY, workloadXml } from './workload.js';

/**
 * `npm run chaos [-- --quick]`: SIGKILLs under a steady load of completions, two servers on one database (timers
 * and racing completions), hostile input. Prints its counts and exits non-zero on any loss, duplicate or 5xx.
 */

const args = parseArgs();
const Q = args.quick;
const cfg = { kills: Q ? 10 : 50, workers: 4, outageTimers: Q ? 10 : 40, timers: Q ? 100 : 1000, pairs: Q ? 20 : 100 };
const log = (msg: string) => console.log(`[chaos] ${msg}`);
const failures: string[] = [];
const counts: Record<string, number> = {};

async function deploy(url: string, token: string, xml: string) {
  const res = await api(url, token, 'POST', '/api/processes', xml);
  if (res.status !== 201 && res.status !== 200) throw new Error(`deploy: ${res.status} ${JSON.stringify(res.body)}`);
}

async function timerFiredCounts(db: Db, ids: string[]) {
  // Matched here rather than with `instanceId: { $in: ids }`: FerretDB compares every audit entry with every id.
  const fired = await db.collection('audit').find({ type: 'timer.fired' }, { projection: { instanceId: 1 } }).toArray();
  const by = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const f of fired) if (by.has(f.instanceId)) by.set(f.instanceId, by.get(f.instanceId)! + 1);
  return by;
}

/** Waits until every timer fired (or the time is up); also says when the last one was seen to fire. */
async function waitForTimers(db: Db, ids: string[], seconds: number) {
  const started = Date.now();
  const deadline = started + seconds * 1000;
  let by = await timerFiredCounts(db, ids);
  while (Date.now() < deadline && [...by.values()].some((n) => n < 1)) {
    await sleep(500);
    by = await timerFiredCounts(db, ids);
  }
  const allFiredAfter = [...by.values()].every((n) => n >= 1) ? (Date.now() - started) / 1000 : null;
  await sleep(1500); // a late duplicate would show up now
  return Object.assign(await timerFiredCounts(db, ids), { allFiredAfter });
}

// ── 1. SIGKILL under load ──────────────────────────────────────────────────

/** Instances whose newest commit is newer than their view: steps committed but not finished (derived writes, view). */
async function unfinishedSteps(db: Db, instanceIds: string[]): Promise<number> {
  let n = 0;
  for (const id of instanceIds) {
    const view = await db.collection('instances').findOne({ _id: id as never }, { projection: { rev: 1 } });
    if (await db.collection('commits').findOne({ _id: `${id}:${(view?.rev ?? 0) + 1}` as never }, { projection: { _id: 1 } })) n++;
  }
  return n;
}

async function kills(bench: Awaited<ReturnType<typeof startDatabase>>, strategy: 'embedded' | 'shared') {
  const dbName = `chaos_kill_${strategy}`;
  const db = bench.db(dbName);
  await db.dropDatabase();
  const env = { STORAGE_STRATEGY: strategy };
  let current: ServerProcess = await startServer(bench.uriFor(dbName), undefined, env);
  const admin = await login(current.url, 'admin');
  await deploy(current.url, admin, loopXml);
  await deploy(current.url, admin, timerXml('PT4S'));
  const staff = await login(current.url, 'street-office');
  const instanceIds: string[] = [];
  for (let i = 0; i < cfg.workers; i++) {
    const res = await api(current.url, staff, 'POST', `/api/processes/${LOOP_KEY}/instances`, { businessKey: `K-${i}` });
    if (res.status !== 201) throw new Error(`start: ${res.status} ${JSON.stringify(res.body)}`);
    instanceIds.push(res.body.id);
  }
  const timerIds: string[] = [];

  const acknowledged: string[] = [];
  const serverErrors: string[] = [];
  let conflicts = 0;
  let running = true;
  // While the server is down and restarting, clients wait: what start-up recovery leaves is then seen unhealed.
  let paused = false;
  let unfinishedAtKill = 0;
  let unfinishedAfterRestart = 0;
  const worker = async (instanceId: string) => {
    let roundNo = 0;
    while (running) {
      if (paused) {
        await sleep(20);
        continue;
      }
      try {
        const view = await api(current.url, staff, 'GET', `/api/instances/${instanceId}`, undefined, 10_000);
        if (view.status >= 500) serverErrors.push(`GET ${view.status}`);
        const task = view.status === 200 ? view.body.openTasks?.[0] : null;
        if (!task) continue;
        const done = await api(current.url, staff, 'POST', `/api/tasks/${encodeURIComponent(task.id)}/complete`, { variables: { round: ++roundNo } }, 10_000);
        if (done.status === 200) acknowledged.push(task.id);
        else if (done.status === 409) conflicts++;
        else if (done.status >= 500) serverErrors.push(`${done.status} ${JSON.stringify(done.body)}`);
      } catch {
        await sleep(50); // server down
      }
    }
  };
  const workers = instanceIds.map((id) => worker(id));
  for (let k = 0; k < cfg.kills; k++) {
    // a few timers that fall due while the server is down or restarting
    if (k % Math.ceil(cfg.kills / cfg.outageTimers) === 0 || timerIds.length < (cfg.outageTimers * k) / cfg.kills) {
      const t = await api(current.url, staff, 'POST', `/api/processes/${TIMER_KEY}/instances`, {}).catch(() => null);
      if (t?.status === 201) timerIds.push(t.body.id);
    }
    await sleep(300 + Math.random() * 700);
    paused = true;
    await current.kill();
    // Steps the kill cut between their commit and their view: start-up recovery must finish every one of them
    // before the restarted server answers, with no client (whose next read would finish it) in between.
    unfinishedAtKill += await unfinishedSteps(db, instanceIds);
    current = await startServer(bench.uriFor(dbName), undefined, env);
    unfinishedAfterRestart += await unfinishedSteps(db, instanceIds);
    paused = false;
  }
  await sleep(1000);
  running = false;
  await Promise.all(workers);
  for (const id of instanceIds) await api(current.url, staff, 'GET', `/api/instances/${id}`);

  const completions = await db.collection('audit').find({ type: 'task.completed', instanceId: { $in: instanceIds } }).toArray();
  const per = new Map<string, number>();
  for (const c of completions) per.set(c.taskId, (per.get(c.taskId) ?? 0) + 1);
  const lost = acknowledged.filter((id) => per.get(id) !== 1);
  const duplicated = [...per.values()].filter((n) => n > 1).length;
  const ackedTwice = acknowledged.length - new Set(acknowledged).size;
  let notRunnable = 0;
  for (const id of instanceIds) {
    const inst = await db.collection('instances').findOne({ _id: id as never });
    const open = await db.collection('tasks').countDocuments({ instanceId: id, status: 'open' });
    if (inst?.status !== 'running' || open !== 1) notRunnable++;
  }
  // still runnable: one more completion per instance
  for (const id of instanceIds) {
    const view = await api(current.url, staff, 'GET', `/api/instances/${id}`);
    const task = view.status === 200 ? view.body.openTasks?.[0] : null;
    const res = task ? await api(current.url, staff, 'POST', `/api/tasks/${encodeURIComponent(task.id)}/complete`, { variables: { round: 1 } }) : null;
    if (res?.status !== 200) notRunnable++;
  }
  // The inbox comes from the server's in-memory index of open tasks: after all the kills it must list exactly the
  // open tasks the records hold.
  const inbox = await api(current.url, staff, 'GET', '/api/tasks?scope=candidate&limit=200');
  const shown = new Set<string>(inbox.status === 200 ? (inbox.body as { id: string }[]).map((t) => t.id) : []);
  // The demo street office (新华街道) is offered its role there and the plain role of cases of no unit.
  const keys = ['street-office', 'street-office@demo-street-1'];
  const expected = (await db.collection('tasks').find({ status: 'open', assignee: null, candidateGroups: { $in: keys } }).toArray()).map((t) => String(t._id));
  const inboxWrong = expected.length > 200 ? 0 : expected.filter((id) => !shown.has(id)).length + [...shown].filter((id) => !expected.includes(id)).length;
  const fired = await waitForTimers(db, timerIds, 30);
  const timersWrong = [...fired.values()].filter((n) => n !== 1).length;
  await current.stop();
  const result = {
    kills: cfg.kills,
    acknowledged: acknowledged.length,
    conflicts,
    lost: lost.length,
    duplicated: duplicated + ackedTwice,
    '5xx': serverErrors.length,
    notRunnable,
    unfinishedAtKill,
    unfinishedAfterRestart,
    inboxWrong,
    outageTimers: timerIds.length,
    outageTimersNotOnce: timersWrong,
  };
  // One set of rows per strategy in the printed table.
  for (const [k, v] of Object.entries(result)) counts[`${strategy}: ${k}`] = v;
  if (lost.length) failures.push(`lost acknowledged completions: ${lost.slice(0, 5).join(', ')}`);
  if (duplicated + ackedTwice) failures.push(`duplicated completions: ${duplicated + ackedTwice}`);
  if (serverErrors.length) failures.push(`5xx under kills: ${serverErrors.slice(0, 3).join(' | ')}`);
  if (notRunnable) failures.push(`instances not runnable after kills: ${notRunnable}`);
  if (unfinishedAfterRestart) failures.push(`steps cut by a kill and not finished by start-up recovery: ${unfinishedAfterRestart}`);
  if (inboxWrong) failures.push(`inbox differs from the open task records after kills: ${inboxWrong} tasks`);
  if (timersWrong) failures.push(`timers due during outages not fired exactly once: ${timersWrong}/${timerIds.length}`);
  if (acknowledged.length < cfg.kills) failures.push(`too few acknowledged completions (${acknowledged.length}) for a meaningful run`);
  log(`kills done (${strategy}): ${JSON.stringify(result)}`);
}

// ── 2. two servers on one database ─────────────────────────────────────────

async function twoServers(bench: Awaited<ReturnType<typeof startDatabase>>) {
  const dbName = 'chaos_two';
  const db = bench.db(dbName);
  await db.dropDatabase();
  // Several servers on one database: the shared strategy (an embedded server refuses a database another holds).
  const a = await startServer(bench.uriFor(dbName), undefined, { STORAGE_STRATEGY: 'shared' });
  const b = await startServer(bench.uriFor(dbName), undefined, { STORAGE_STRATEGY: 'shared' });
  try {
    const admin = await login(a.url, 'admin');
    await deploy(a.url, admin, timerXml('PT2S'));
    await deploy(a.url, admin, loopXml);
    const tokA = await login(a.url, 'street-office');
    const tokB = await login(b.url, 'street-office');
    const started = performance.now();
    const ids = await pool(cfg.timers, 16, async (i) => {
      const [url, tok] = i % 2 ? [b.url, tokB] : [a.url, tokA];
      const res = await api(url, tok, 'POST', `/api/processes/${TIMER_KEY}/instances`, {});
      if (res.status !== 201) throw new Error(`timer start: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    });
    const startSeconds = Math.round((performance.now() - started) / 1000);
    log(`two servers: ${ids.length} timer instances started in ${startSeconds} s`);
    const fired = await waitForTimers(db, ids, Q ? 60 : 300);
    counts.timerStartSeconds = startSeconds;
    // Seconds after the last start until every timer had fired (-1: not all within the wait).
    counts.timersAllFiredAfterLastStartSeconds = fired.allFiredAfter === null ? -1 : Math.round(fired.allFiredAfter);
    const notOnce = [...fired.values()].filter((n) => n !== 1);
    counts.timers = ids.length;
    counts.timersNever = notOnce.filter((n) => n === 0).length;
    counts.timersTwice = notOnce.filter((n) => n > 1).length;
    if (notOnce.length) failures.push(`two servers: ${notOnce.length} of ${ids.length} timers not fired exactly once`);

    // racing completions of the same task through the two servers
    let pairsOk = 0;
    const pairErrors: string[] = [];
    for (let i = 0; i < cfg.pairs; i++) {
      const s = await api(a.url, tokA, 'POST', `/api/processes/${LOOP_KEY}/instances`, {});
      const taskId = s.body.openTasks[0].id;
      const path = `/api/tasks/${encodeURIComponent(taskId)}/complete`;
      const [x, y] = await Promise.all([api(a.url, tokA, 'POST', path, { variables: { round: 1 } }), api(b.url, tokB, 'POST', path, { variables: { round: 2 } })]);
      const statuses = [x.status, y.status].sort();
      if (statuses[0] === 200 && statuses[1] === 409) pairsOk++;
      else pairErrors.push(statuses.join('/'));
      const audited = await db.collection('audit').countDocuments({ type: 'task.completed', taskId });
      if (audited !== 1) pairErrors.push(`audit ${audited} for ${taskId}`);
    }
    counts.pairs = cfg.pairs;
    counts.pairsOneWinner = pairsOk;
    // Each server's inbox shows the newest open tasks the records hold, whichever server ran the steps.
    const records = (await db.collection('tasks').find({ status: 'open', assignee: null, candidateGroups: { $in: ['street-office', 'street-office@demo-street-1'] } }).toArray())
      .sort((x, y) => +y.createdAt - +x.createdAt || (String(y._id) < String(x._id) ? -1 : 1))
      .slice(0, 200)
      .map((t) => String(t._id));
    let inboxWrong = 0;
    for (const [url, tok] of [[a.url, tokA], [b.url, tokB]] as const) {
      const page = await api(url, tok, 'GET', '/api/tasks?scope=candidate&limit=200');
      const shown = page.status === 200 ? (page.body as { id: string }[]).map((t) => t.id) : [];
      if (shown.join() !== records.join()) inboxWrong++;
    }
    counts.inboxesWrong = inboxWrong;
    if (inboxWrong) failures.push(`two servers: ${inboxWrong} of 2 inboxes differ from the open task records`);
    if (pairErrors.length) failures.push(`racing completions: ${pairErrors.slice(0, 5).join(', ')} (${pairErrors.length})`);
    log(`two servers: timers never ${counts.timersNever}, twice ${counts.timersTwice}; pairs ok ${pairsOk}/${cfg.pairs}`);
  } finally {
    await a.stop();
    await b.stop();
  }
}

// ── 3. hostile input ───────────────────────────────────────────────────────

const wrap = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="h" targetNamespace="http://example.org/h">
  <bpmn:process id="hostile" name="恶意" isExecutable="true">${inner}</bpmn:process>
</bpmn:definitions>`;

async function hostile(bench: Awaited<ReturnType<typeof startDatabase>>) {
  const dbName = 'chaos_hostile';
  const db = bench.db(dbName);
  await db.dropDatabase();
  const server = await startServer(bench.uriFor(dbName), undefined, { STORAGE_STRATEGY: 'embedded' });
  try {
    const admin = await login(server.url, 'admin');
    await deploy(server.url, admin, workloadXml);
    await deploy(server.url, admin, loopXml);
    const staff = await login(server.url, 'street-office');
    const loop = await api(server.url, staff, 'POST', `/api/processes/${LOOP_KEY}/instances`, {});
    const taskPath = `/api/tasks/${encodeURIComponent(loop.body.openTasks[0].id)}/complete`;
    const startPath = `/api/processes/${WORKLOAD_KEY}/instances`;
    const snapshot = async () => {
      const out: Record<string, number> = {};
      // Not `commits`: an applied step's commit is deleted a moment after its answer (bookkeeping, not state).
      for (const c of ['definitions', 'instances', 'tasks', 'audit', 'signoffs']) out[c] = await db.collection(c).countDocuments({});
      return JSON.stringify(out);
    };
    const before = await snapshot();
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>${wrap('<bpmn:startEvent id="s" name="&lol4;" />').replace(/^<\?xml[^>]*\?>/, '')}`;
    const xxe = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>${wrap('<bpmn:startEvent id="s" name="&x;" />').replace(/^<\?xml[^>]*\?>/, '')}`;
    const deep = wrap('<bpmn:extensionElements>' + '<x>'.repeat(10_000) + '</x>'.repeat(10_000) + '</bpmn:extensionElements>');
    const big = wrap(`<bpmn:documentation>${'a'.repeat(50 * 1024 * 1024)}</bpmn:documentation>`);
    const script = wrap(`<bpmn:startEvent id="s" name="开始"><bpmn:outgoing>f</bpmn:outgoing></bpmn:startEvent><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="sc" />
      <bpmn:scriptTask id="sc" name="脚本" scriptFormat="javascript"><bpmn:incoming>f</bpmn:incoming><bpmn:script>while(true){}</bpmn:script></bpmn:scriptTask>`);
    const feelLoop = workloadXml.replace('${score &gt;= 60}', '${count(for i in 1..100000000 return i) &gt; 0}').replace('bench-review', 'bench-feel-loop');
    const js = workloadXml.replace('<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">', '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="javascript">').replace('bench-review', 'bench-js');
    const mb = 'x'.repeat(1024 * 1024);
    const cases: { name: string; method: string; path: string; token: string; body: unknown }[] = [
      { name: 'malformed XML', method: 'POST', path: '/api/processes', token: admin, body: '<bpmn:definitions><oops' },
      { name: 'entity expansion', method: 'POST', path: '/api/processes', token: admin, body: laughs },
      { name: 'external entity', method: 'POST', path: '/api/processes', token: admin, body: xxe },
      { name: '50 MB file', method: 'POST', path: '/api/processes', token: admin, body: big },
      { name: '10,000-deep nesting', method: 'POST', path: '/api/processes', token: admin, body: deep },
      { name: 'script task', method: 'POST', path: '/api/processes', token: admin, body: script },
      { name: 'javascript condition', method: 'POST', path: '/api/processes', token: admin, body: js },
      { name: 'FEEL that loops', method: 'POST', path: '/api/processes', token: admin, body: feelLoop },
      { name: 'not XML at all', method: 'POST', path: '/api/processes', token: admin, body: { xml: 42 } },
      { name: 'start: wrong types', method: 'POST', path: startPath, token: staff, body: { variables: { title: 5, amount: 'many' } } },
      { name: 'start: variables not object', method: 'POST', path: startPath, token: staff, body: { variables: [1, 2] } },
      { name: 'start: __proto__ key', method: 'POST', path: startPath, token: staff, body: JSON.parse('{"variables":{"title":"x","amount":1,"__proto__":{"polluted":true}}}') },
      { name: 'start: constructor key', method: 'POST', path: startPath, token: staff, body: { variables: { title: 'x', amount: 1, constructor: { prototype: { polluted: true } } } } },
      { name: 'start: megabyte string', method: 'POST', path: startPath, token: staff, body: { variables: { title: mb, amount: 1 } } },
      { name: 'start: unknown field', method: 'POST', path: startPath, token: staff, body: { variables: { title: 'x', amount: 1, bogus: true } } },
      { name: 'start: businessKey object', method: 'POST', path: startPath, token: staff, body: { businessKey: { $gt: '' }, variables: { title: 'x', amount: 1 } } },
      { name: 'start: dotted variable name', method: 'POST', path: `/api/processes/${LOOP_KEY}/instances`, token: staff, body: { variables: { 'a.b': 1 } } },
      { name: 'start: $where variable', method: 'POST', path: `/api/processes/${LOOP_KEY}/instances`, token: staff, body: { variables: { $where: 'x' } } },
      { name: 'start: operator value', method: 'POST', path: `/api/processes/${LOOP_KEY}/instances`, token: staff, body: { variables: { a: { $ne: 1 } } } },
      { name: 'start: NUL in a name', method: 'POST', path: `/api/processes/${LOOP_KEY}/instances`, token: staff, body: { variables: { 'a\u0000b': 1 } } },
      { name: 'start: 40-deep nesting', method: 'POST', path: `/api/processes/${LOOP_KEY}/instances`, token: staff, body: { variables: { deep: JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40)) } } },
      { name: 'millisecond repeating timer', method: 'POST', path: '/api/processes', token: admin, body: timerXml('PT4S').replace(/<bpmn:timeDuration[^>]*>[^<]*<\/bpmn:timeDuration>/, '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R/PT0.001S</bpmn:timeCycle>').replace(/bench-timer/g, 'bench-ms-timer') },
      { name: 'nested ranges', method: 'POST', path: '/api/processes', token: admin, body: workloadXml.replace('${score &gt;= 60}', '${count(for a in 1..3000, b in 1..3000 return 1) &gt; 0}').replace('bench-review', 'bench-nested') },
      { name: 'complete: wrong type', method: 'POST', path: taskPath, token: staff, body: { variables: { round: 'ten' } } },
      { name: 'complete: __proto__ key', method: 'POST', path: taskPath, token: staff, body: JSON.parse('{"variables":{"__proto__":{"round":1}}}') },
      { name: 'complete: megabyte string', method: 'POST', path: taskPath, token: staff, body: { variables: { round: mb } } },
      { name: 'complete: unknown field', method: 'POST', path: taskPath, token: staff, body: { variables: { round: 1, bogus: { $where: '1' } } } },
      { name: 'complete: body is array', method: 'POST', path: taskPath, token: staff, body: [1] },
      { name: 'tasks: operator in query', method: 'GET', path: '/api/tasks?scope[$ne]=x', token: staff, body: undefined },
    ];
    const rows: string[][] = [];
    let bad = 0;
    for (const c of cases) {
      let status = 0;
      let message = '';
      try {
        const res = await api(server.url, c.token, c.method, c.path, c.body, 60_000);
        status = res.status;
        message = res.body?.error?.message ?? JSON.stringify(res.body).slice(0, 60);
      } catch (err) {
        message = `no answer: ${err instanceof Error ? err.message : String(err)}`;
      }
      const ok = status >= 400 && status < 500;
      if (!ok) bad++;
      if (status >= 500) counts['5xx'] = (counts['5xx'] ?? 0) + 1;
      rows.push([c.name, String(status), ok ? 'ok' : 'FAIL', message.slice(0, 60)]);
    }
    const health = await api(server.url, null, 'GET', '/api/health').catch(() => ({ status: 0 }));
    const after = await snapshot();
    console.log(table(['hostile input', 'status', '4xx', 'message'], rows));
    counts.hostileCases = cases.length;
    counts.hostileNot4xx = bad;
    if (bad) failures.push(`hostile input: ${bad} of ${cases.length} did not get a 4xx`);
    if (health.status !== 200) failures.push(`server not healthy after hostile input (${health.status})`);
    if (before !== after) failures.push(`hostile input changed state: ${before} → ${after}`);
    counts.hostileStateChanged = before !== after ? 1 : 0;
  } finally {
    await server.stop();
  }
}

async function main() {
  const t0 = performance.now();
  log(`${Q ? 'quick' : 'full'} run`);
  const bench = await startDatabase();
  try {
    await kills(bench, 'embedded');
    if (!Q) await kills(bench, 'shared');
    await twoServers(bench);
    await hostile(bench);
  } finally {
    await bench.close();
  }
  console.log('');
  console.log(table(['count', 'value'], Object.entries(counts).map(([k, v]) => [k, v])));
  log(`${Math.round((performance.now() - t0) / 1000)} s`);
  if (failures.length) {
    console.log(`\nFAILED:\n- ${failures.join('\n- ')}`);
    process.exit(1);
  }
  console.log('\nchaos: no loss, no duplicate, no 5xx');
  process.exit(0);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(2);
});
