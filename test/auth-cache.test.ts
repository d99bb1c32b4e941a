import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type express from 'express';
import request from 'supertest';
import { cachedActor, invalidateAuthCache } from '../server/auth/cache.js';
import { revokeUserTokens } from '../server/auth/tokens.js';
import { setPassword, setUserDisabled } from '../server/auth/users.js';
import type { Database } from '../server/db/connect.js';
import { testApp } from './support/app.js';
import { testDatabase } from './support/db.js';

/**
 * The authentication cache (server/auth/cache.ts): repeated requests do not read `tokens`/`users` again, and every
 * change made through server/auth — logout, disabling a user, a new password, revoking a user's tokens — takes effect
 * on the very next request.
 */

let database: Database;
let app: express.Express;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function token(username: string): Promise<string> {
  const res = await request(app).post('/api/auth/login').send({ username, password: 'demo' });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

const me = (bearer: string) => request(app).get('/api/auth/me').set('Authorization', `Bearer ${bearer}`);

beforeAll(async () => {
  database = await testDatabase();
  ({ app } = await testApp(database));
});

afterAll(async () => {
  await database.close();
});

describe('cachedActor', () => {
  const actor = { id: 'u1', groups: ['g'], displayName: 'U1' };
  const db = {} as never;

  it('reads once within the lifetime, and again after it', async () => {
    let reads = 0;
    const read = async () => {
      reads++;
      return { actor, expiresAt: Infinity };
    };
    expect(await cachedActor(db, 'a', read, 200)).toEqual(actor);
    expect(await cachedActor(db, 'a', read, 200)).toEqual(actor);
    expect(reads).toBe(1);
    await sleep(250);
    expect(await cachedActor(db, 'a', read, 200)).toEqual(actor);
    expect(reads).toBe(2);
  });

  it('never remembers a refusal, and reads every time with a lifetime of 0', async () => {
    let reads = 0;
    const refuse = async () => {
      reads++;
      return null;
    };
    expect(await cachedActor(db, 'b', refuse, 10_000)).toBeNull();
    expect(await cachedActor(db, 'b', async () => ({ actor, expiresAt: Infinity }), 10_000)).toEqual(actor);
    const read = async () => {
      reads++;
      return { actor, expiresAt: Infinity };
    };
    await cachedActor(db, 'c', read, 0);
    await cachedActor(db, 'c', read, 0);
    expect(reads).toBe(3);
  });

  it('stops serving a token at its expiry, whatever the lifetime', async () => {
    let reads = 0;
    const read = async () => {
      reads++;
      return { actor, expiresAt: Date.now() + 100 };
    };
    await cachedActor(db, 'd', read, 10_000);
    await cachedActor(db, 'd', read, 10_000);
    expect(reads).toBe(1);
    await sleep(150);
    await cachedActor(db, 'd', read, 10_000);
    expect(reads).toBe(2);
  });

  it('hands out copies: one request cannot change what another sees', async () => {
    const first = (await cachedActor(db, 'e', async () => ({ actor, expiresAt: Infinity }), 10_000))!;
    first.groups.push('admin');
    const second = (await cachedActor(db, 'e', async () => null, 10_000))!;
    expect(second.groups).toEqual(['g']);
  });

  it('does not store an answer read while an invalidation happened (it may predate the change)', async () => {
    let release!: () => void;
    const slow = cachedActor(db, 'f', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { actor, expiresAt: Infinity };
    }, 10_000);
    await sleep(10);
    invalidateAuthCache();
    release();
    expect(await slow).toEqual(actor);
    let reads = 0;
    await cachedActor(db, 'f', async () => {
      reads++;
      return { actor, expiresAt: Infinity };
    }, 10_000);
    expect(reads).toBe(1);
  });

  it('forgets everything on invalidation', async () => {
    let reads = 0;
    const read = async () => {
      reads++;
      return { actor, expiresAt: Infinity };
    };
    await cachedActor(db, 'g', read, 10_000);
    invalidateAuthCache();
    await cachedActor(db, 'g', read, 10_000);
    expect(reads).toBe(2);
  });
});

describe('authentication with the cache', () => {
  it('logout refuses the token on the next request, though it was just used', async () => {
    const t = await token('expert1');
    expect((await me(t)).status).toBe(200);
    expect((await me(t)).status).toBe(200);
    expect((await request(app).post('/api/auth/logout').set('Authorization', `Bearer ${t}`)).status).toBe(204);
    expect((await me(t)).status).toBe(401);
  });

  it('a disabled user is refused at once, by token and by session; enabling again lets the token back in', async () => {
    const t = await token('expert2');
    const agent = request.agent(app);
    expect((await agent.post('/api/auth/login').send({ username: 'expert2', password: 'demo' })).status).toBe(200);
    expect((await me(t)).status).toBe(200);
    expect((await agent.get('/api/auth/me')).status).toBe(200);
    await setUserDisabled(database.db, 'expert2', true);
    expect((await me(t)).status).toBe(401);
    expect((await agent.get('/api/auth/me')).status).toBe(401);
    await setUserDisabled(database.db, 'expert2', false);
    expect((await me(t)).status).toBe(200);
  });

  it('revoking all of a user’s tokens refuses them at once', async () => {
    const t = await token('expert3');
    expect((await me(t)).status).toBe(200);
    expect(await revokeUserTokens(database.db, 'expert3')).toBeGreaterThanOrEqual(1);
    expect((await me(t)).status).toBe(401);
  });

  it('a new password invalidates what was remembered (the old one no longer logs in)', async () => {
    const t = await token('expert4');
    expect((await me(t)).status).toBe(200);
    await setPassword(database.db, 'expert4', 'a-new-password');
    expect((await request(app).post('/api/auth/login').send({ username: 'expert4', password: 'demo' })).status).toBe(401);
    // The token itself stays valid (as before the cache): a password change does not revoke tokens by itself.
    expect((await me(t)).status).toBe(200);
  });

  it('still refuses unknown and malformed tokens', async () => {
    expect((await me('x'.repeat(43))).status).toBe(401);
    expect((await me('short')).status).toBe(401);
  });
});

describe('bearer API requests skip the session', () => {
  it('judges a bearer request by its token even with another user’s session cookie, and sets no cookie', async () => {
    const agent = request.agent(app);
    expect((await agent.post('/api/auth/login').send({ username: 'provider', password: 'demo' })).status).toBe(200);
    const t = await token('expert5');
    const res = await agent.get('/api/auth/me').set('Authorization', `Bearer ${t}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user: { id: 'expert5' }, authMethod: 'bearer' });
    expect(res.headers['set-cookie']).toBeUndefined();
    // Upper case paths route to the API too, and are treated alike.
    const upper = await agent.get('/API/auth/me').set('Authorization', `Bearer ${t}`);
    expect(upper.body).toMatchObject({ user: { id: 'expert5' }, authMethod: 'bearer' });
    // Without the header the same agent is still the cookie's user.
    expect((await agent.get('/api/auth/me')).body).toMatchObject({ user: { id: 'provider' }, authMethod: 'session' });
    // Another kind of Authorization header leaves the cookie in charge.
    expect((await agent.get('/api/auth/me').set('Authorization', 'Basic abc')).body).toMatchObject({ authMethod: 'session' });
  });

  it('login still starts a session when the client also sends a bearer token', async () => {
    const t = await token('expert5');
    const agent = request.agent(app);
    for (const path of ['/api/auth/login', '/API/Auth/Login/']) {
      const res = await agent.post(path).set('Authorization', `Bearer ${t}`).send({ username: 'provider', password: 'demo' });
      expect(res.status).toBe(200);
      expect(res.body.csrfToken).toBeTruthy();
      expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).join('; ')).toMatch(/cg\.sid=/);
      expect((await agent.get('/api/auth/me')).body).toMatchObject({ user: { id: 'provider' }, authMethod: 'session' });
    }
  });

  it('an unsafe bearer request needs no CSRF token; with an invalid token it is refused (401), cookie or not', async () => {
    const t = await token('expert5');
    expect((await request(app).post('/api/auth/logout').set('Authorization', `Bearer ${t}`)).status).toBe(204);
    const agent = request.agent(app);
    expect((await agent.post('/api/auth/login').send({ username: 'provider', password: 'demo' })).status).toBe(200);
    const refused = await agent.post('/api/tasks/nope/complete').set('Authorization', `Bearer ${t}`).send({});
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
  });
});
