import type express from 'express';
import request from 'supertest';

/** The session's CSRF token as a page's forms carry it. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no _csrf field in page');
  return m[1]!;
}

/** A cookie-keeping client signed in through the login form (demo password unless given); `login` is the form's answer. */
export async function signedInAgent(app: express.Express, username: string, password = 'demo') {
  const agent = request.agent(app);
  const page = await agent.get('/login');
  const login = await agent.post('/login').type('form').send({ _csrf: csrfOf(page.text), username, password, next: '/tasks' });
  return { agent, login };
}
