import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from '@jest/globals';
import type express from 'express';
import request from 'supertest';
import { createApp } from '../../server/app.js';
import { seedDemoOrganisation } from '../../server/org/demo.js';
import { readConfig } from '../../server/config.js';
import { ensureIndexes } from '../../server/db/collections.js';
import type { Database } from '../../server/db/connect.js';
import { ManualClock } from '../../server/engine/clock.js';
import { setEngineClock } from '../../server/engine/clock-timer.js';
import { Runtime } from '../../server/runtime/runtime.js';
import { serviceHandlers } from '../../server/services/registry.js';
import { testDatabase } from './db.js';
import { projectRoot } from '../../server/project-root.js';

/**
 * Drives the policy processes (processes/*.bpmn) through the REST API as the demo users, with the app
 * in-process on a fresh test database, the real service handlers and a manual clock.
 *
 *   const d = await ProcessDriver.create('four_deliberations', '2026-03-02T09:00:00+08:00');
 *   const inst = await d.start('party-committee', 'four-deliberations', { subject: … }, 'P3-001');
 *   await d.complete('party-committee', inst.id, 'jointMeeting', { decision: 'approve', … });
 *   const fields = await d.refused('residents-committee', inst.id, 'repsMeeting', { … });   // 400 field errors
 *   await d.advance('P7D');                                                                 // fires due timers
 *   afterAll(() => d.close());
 */

export interface TaskJson {
  id: string;
  instanceId: string;
  elementId: string;
  name: string;
  assignee: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  dueAt: string | null;
  status: string;
  isMultiInstance?: boolean;
  loopIndex?: number | null;
  /** The sub-process iteration the task belongs to (the community of a P1 track). */
  subject?: string | null;
}

export interface InstanceJson {
  id: string;
  processKey: string;
  businessKey: string | null;
  status: 'running' | 'completed' | 'incident' | 'cancelled';
  activeElements: string[];
  nextTimerAt: string | null;
  incident: { elementId: string | null; message: string } | null;
  incidents: { elementId: string | null; message: string }[];
  variables: Record<string, any>;
  timers: { elementId: string; dueAt: string; expression: string }[];
  openTasks: TaskJson[];
}

export interface NoticeJson {
  id: string;
  title: string;
  kind: string;
  processKey: string;
  businessKey: string | null;
  html: string;
  days: number;
  workingDays: boolean;
  publishedAt: string;
  endAt: string;
}

export interface SignoffJson {
  elementId: string;
  stepName: string;
  decision: string;
  opinion: string | null;
  by: string;
  loopIndex?: number | null;
}

/** Strips tags and collapses white space so notice HTML can be matched as the text a resident reads. */
export function noticeText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

export class ProcessDriver {
  private readonly tokens = new Map<string, string>();

  private constructor(
    readonly database: Database,
    readonly runtime: Runtime,
    readonly clock: ManualClock,
    readonly app: express.Express,
  ) {}

  /** Fresh database `test_<dbName>_w<n>`, demo users, the four process files deployed, clock at `now`. */
  static async create(dbName: string, now: string): Promise<ProcessDriver> {
    const database = await testDatabase(dbName);
    await ensureIndexes(database.db);
    await seedDemoOrganisation(database.db);
    const clock = new ManualClock(new Date(now));
    setEngineClock(clock);
    const runtime = await Runtime.create({ db: database.db, clock, services: serviceHandlers });
    const dir = path.join(projectRoot(), 'processes');
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.bpmn')).sort()) {
      await runtime.deploy(await readFile(path.join(dir, file), 'utf8'), null);
    }
    return ProcessDriver.on(database, runtime, clock);
  }

  /**
   * A new runtime and app on the same database and clock, as after a server restart: nothing carries over but
   * what is stored. Use the returned driver from then on; closing either closes the shared database.
   */
  async restarted(): Promise<ProcessDriver> {
    const runtime = await Runtime.create({ db: this.database.db, clock: this.clock, services: serviceHandlers });
    return ProcessDriver.on(this.database, runtime, this.clock);
  }

  private static on(database: Database, runtime: Runtime, clock: ManualClock): ProcessDriver {
    const app = createApp({
      runtime,
      db: database.db,
      config: { ...readConfig({}), manualClock: true },
      clock,
      http: { loginRateLimit: { windowMs: 60_000, limit: 1000 } },
    });
    return new ProcessDriver(database, runtime, clock, app);
  }

  async close(): Promise<void> {
    await this.database.close();
  }

  /** Bearer token of a demo user (password `demo`), logged in once. */
  async token(username: string): Promise<string> {
    const known = this.tokens.get(username);
    if (known) return known;
    const res = await request(this.app).post('/api/auth/login').send({ username, password: 'demo' });
    expect(res.status).toBe(200);
    this.tokens.set(username, res.body.token);
    return res.body.token as string;
  }

  async get(username: string, url: string) {
    return request(this.app).get(url).set('Authorization', `Bearer ${await this.token(username)}`);
  }

  async post(username: string, url: string, body: unknown = {}) {
    return request(this.app).post(url).set('Authorization', `Bearer ${await this.token(username)}`).send(body as object);
  }

  /** Starts an instance; expects 201. */
  async start(username: string, key: string, variables: Record<string, unknown>, businessKey?: string): Promise<InstanceJson> {
    const res = await this.post(username, `/api/processes/${key}/instances`, { businessKey, variables, ...communityOf(username, key) });
    if (res.status !== 201) throw new Error(`start ${key} as ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as InstanceJson;
  }

  /** The start is refused; returns the error body (`{ code, message, fields }`). */
  async startRefused(username: string, key: string, variables: Record<string, unknown>, status = 400) {
    const res = await this.post(username, `/api/processes/${key}/instances`, { variables, ...communityOf(username, key) });
    expect(res.status).toBe(status);
    return res.body.error as { code: string; message: string; fields?: Record<string, string> };
  }

  /** The instance as the admin sees it (variables, open tasks, timers, incidents). */
  async instance(id: string): Promise<InstanceJson> {
    const res = await this.get('admin', `/api/instances/${encodeURIComponent(id)}`);
    expect(res.status).toBe(200);
    return res.body as InstanceJson;
  }

  async signoffs(id: string): Promise<SignoffJson[]> {
    const res = await this.get('admin', `/api/instances/${encodeURIComponent(id)}/signoffs`);
    expect(res.status).toBe(200);
    return res.body as SignoffJson[];
  }

  /** Public notices of one business key, oldest first. */
  async notices(businessKey: string): Promise<NoticeJson[]> {
    const res = await request(this.app).get('/api/notices?limit=200');
    expect(res.status).toBe(200);
    return (res.body as NoticeJson[])
      .filter((n) => n.businessKey === businessKey)
      .sort((a, b) => a.publishedAt.localeCompare(b.publishedAt) || a.title.localeCompare(b.title));
  }

  /**
   * The open tasks of `username` for an instance/element: their own (`scope=mine`) and their groups' pool
   * (`scope=candidate`), deduplicated.
   */
  async myTasks(username: string, instanceId: string, elementId?: string): Promise<TaskJson[]> {
    const seen = new Map<string, TaskJson>();
    for (const scope of ['mine', 'candidate']) {
      const res = await this.get(username, `/api/tasks?scope=${scope}&limit=200`);
      expect(res.status).toBe(200);
      for (const t of res.body as TaskJson[]) {
        if (t.instanceId === instanceId && (!elementId || t.elementId === elementId) && t.status === 'open') seen.set(t.id, t);
      }
    }
    return [...seen.values()];
  }

  /** Exactly one open task of `username` at `elementId` (throws with the instance's open tasks otherwise). */
  async task(username: string, instanceId: string, elementId: string): Promise<TaskJson> {
    const tasks = await this.myTasks(username, instanceId, elementId);
    if (tasks.length !== 1) {
      const inst = await this.instance(instanceId);
      throw new Error(
        `${username}: expected one open task ${elementId} in ${instanceId}, found ${tasks.length}; instance ${inst.status}, ` +
          `active ${JSON.stringify(inst.activeElements)}, open ${JSON.stringify(inst.openTasks.map((t) => `${t.elementId}#${t.loopIndex ?? ''}`))}` +
          (inst.incident ? `, incident ${inst.incident.elementId}: ${inst.incident.message}` : ''),
      );
    }
    return tasks[0]!;
  }

  /** Claims the task when it is not yet assigned to `username`. */
  async claim(username: string, task: TaskJson): Promise<void> {
    if (task.assignee === username) return;
    const res = await this.post(username, `/api/tasks/${encodeURIComponent(task.id)}/claim`);
    if (res.status !== 200) throw new Error(`claim ${task.elementId} as ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** Claims and completes `username`'s task at `elementId`; expects 200 and returns the instance after the step. */
  async complete(username: string, instanceId: string, elementId: string, variables: Record<string, unknown>): Promise<InstanceJson> {
    const task = await this.task(username, instanceId, elementId);
    return this.completeTask(username, task, variables);
  }

  async completeTask(username: string, task: TaskJson, variables: Record<string, unknown>): Promise<InstanceJson> {
    await this.claim(username, task);
    const res = await this.post(username, `/api/tasks/${encodeURIComponent(task.id)}/complete`, { variables });
    if (res.status !== 200) {
      throw new Error(`complete ${task.elementId} as ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body.instance as InstanceJson;
  }

  /** Completing the task is refused with 400 validation_failed; returns the field messages. */
  async refused(username: string, instanceId: string, elementId: string, variables: Record<string, unknown>): Promise<Record<string, string>> {
    const task = await this.task(username, instanceId, elementId);
    await this.claim(username, task);
    const res = await this.post(username, `/api/tasks/${encodeURIComponent(task.id)}/complete`, { variables });
    if (res.status !== 400 || res.body?.error?.code !== 'validation_failed') {
      throw new Error(`expected validation_failed for ${elementId}, got ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body.error.fields as Record<string, string>;
  }

  /** Moves the manual clock through the admin API; due timers fire. */
  async advance(duration: string): Promise<{ now: string; fired: number }> {
    const res = await this.post('admin', '/api/admin/clock', { advance: duration });
    expect(res.status).toBe(200);
    return res.body;
  }

  async setClock(to: string): Promise<{ now: string; fired: number }> {
    const res = await this.post('admin', '/api/admin/clock', { set: to });
    expect(res.status).toBe(200);
    return res.body;
  }
}

/** A community's case started by the street office (P2, P7) is filed under 幸福社区, the demo's first community. */
function communityOf(username: string, key: string): { unitId?: string } {
  return username === 'street-office' && (key === 'committee-election' || key === 'secondee-appraisal') ? { unitId: 'demo-community-a' } : {};
}
