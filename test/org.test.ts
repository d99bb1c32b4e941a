import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import request from 'supertest';
import { ProcessDriver, type TaskJson } from './support/process-driver.js';

// Organisation, users and community scoping (issue 14), through the API as the demo organisation's people:
// 幸福社区 (demo-community-a: residents-committee, party-committee…) and 和谐社区 (demo-community-b: hexie-rc,
// hexie-pc…) under 新华街道 (street-office); 光明街道 (guangming-street) is another street.

let d: ProcessDriver;

beforeAll(async () => {
  d = await ProcessDriver.create('org_scoping', '2026-03-02T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

const proposal = (subject: string) => ({ communityName: '幸福', subject, content: '内容', budget: 1000, reasons: '理由' });

async function as(username: string, method: 'get' | 'post' | 'patch' | 'delete', url: string, body?: unknown) {
  const req = request(d.app)[method](url).set('Authorization', `Bearer ${await d.token(username)}`);
  return body === undefined ? req : req.send(body as object);
}

async function candidateTasks(username: string): Promise<TaskJson[]> {
  const res = await as(username, 'get', '/api/tasks?scope=candidate&limit=200');
  expect(res.status).toBe(200);
  return res.body as TaskJson[];
}

async function counts(username: string): Promise<{ mine: number; candidate: number }> {
  const res = await as(username, 'get', '/api/tasks/count');
  expect(res.status).toBe(200);
  return res.body;
}

describe('community scoping', () => {
  let a: { id: string; task: string };
  let b: { id: string; task: string };

  beforeAll(async () => {
    const instA = await d.start('party-committee', 'four-deliberations', proposal('幸福社区加装电梯'), 'ORG-A');
    const instB = await d.start('hexie-pc', 'four-deliberations', proposal('和谐社区修缮车棚'), 'ORG-B');
    a = { id: instA.id, task: instA.openTasks[0]!.id };
    b = { id: instB.id, task: instB.openTasks[0]!.id };
  });

  it('a case belongs to its starter\'s community and its tasks to that community\'s committees', async () => {
    const instA = await d.instance(a.id);
    expect(instA.openTasks[0]!.candidateGroups).toEqual(['party-committee@demo-community-a', 'residents-committee@demo-community-a']);
    const instB = await d.instance(b.id);
    expect(instB.openTasks[0]!.candidateGroups).toEqual(['party-committee@demo-community-b', 'residents-committee@demo-community-b']);
  });

  it("社区A's residents' committee never sees, counts, claims or completes 社区B's task", async () => {
    const seen = (await candidateTasks('residents-committee')).map((t) => t.instanceId);
    expect(seen).toContain(a.id);
    expect(seen).not.toContain(b.id);
    expect(await counts('residents-committee')).toEqual({ mine: 0, candidate: 1, signer: 0 });

    expect((await as('residents-committee', 'get', `/api/tasks/${encodeURIComponent(b.task)}`)).status).toBe(403);
    expect((await as('residents-committee', 'get', `/api/instances/${encodeURIComponent(b.id)}`)).status).toBe(403);
    expect((await as('residents-committee', 'get', `/api/instances/${encodeURIComponent(b.id)}/audit`)).status).toBe(403);
    expect((await as('residents-committee', 'post', `/api/tasks/${encodeURIComponent(b.task)}/claim`)).status).toBe(403);
    const complete = await as('residents-committee', 'post', `/api/tasks/${encodeURIComponent(b.task)}/complete`, {
      jointMeetingDate: '2026-03-02',
      jointAttendees: '7 人',
      decision: 'approve',
      opinion: '同意',
    });
    expect(complete.status).toBe(403);
    // …and 社区B's own committee does
    expect((await candidateTasks('hexie-rc')).map((t) => t.instanceId)).toEqual([b.id]);
    expect((await as('hexie-rc', 'get', `/api/instances/${encodeURIComponent(a.id)}`)).status).toBe(403);
  });

  it("the street office sees both communities' cases and tasks; another street sees neither", async () => {
    const listed = await as('street-office', 'get', '/api/instances?scope=unit&limit=200');
    expect(listed.status).toBe(200);
    const ids = (listed.body.items as { id: string; unitId: string }[]).map((i) => i.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
    for (const task of [a.task, b.task]) expect((await as('street-office', 'get', `/api/tasks/${encodeURIComponent(task)}`)).status).toBe(200);
    // seeing is not acting: the street office is not the committee
    expect((await as('street-office', 'post', `/api/tasks/${encodeURIComponent(a.task)}/claim`)).status).toBe(403);

    const other = await as('guangming-street', 'get', '/api/instances?scope=unit&limit=200');
    expect((other.body.items as { id: string }[]).map((i) => i.id)).not.toEqual(expect.arrayContaining([a.id]));
    expect((await as('guangming-street', 'get', `/api/instances/${encodeURIComponent(b.id)}`)).status).toBe(403);
    // only an administrator lists every case
    expect((await as('street-office', 'get', '/api/instances?scope=all')).status).toBe(403);
  });

  it("a user moved to another unit loses the old unit's inbox at once", async () => {
    const moved = await as('admin', 'patch', '/api/admin/users/hexie-rc', { unitId: 'demo-community-a' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ unitId: 'demo-community-a', roles: ['residents-committee'], unitName: '幸福社区' });
    expect((await candidateTasks('hexie-rc')).map((t) => t.instanceId)).toEqual([a.id]);
    expect((await as('hexie-rc', 'get', `/api/tasks/${encodeURIComponent(b.task)}`)).status).toBe(403);
    await as('admin', 'patch', '/api/admin/users/hexie-rc', { unitId: 'demo-community-b' });
    expect((await candidateTasks('hexie-rc')).map((t) => t.instanceId)).toEqual([b.id]);
    expect((await as('hexie-rc', 'get', `/api/instances/${encodeURIComponent(a.id)}`)).status).toBe(403);
  });

  it('a street office starts a case for one of its communities, not for another street\'s', async () => {
    const res = await as('street-office', 'post', '/api/processes/committee-election/instances', {
      businessKey: 'ORG-ELECTION',
      unitId: 'demo-community-b',
      variables: { communityName: '和谐', households: 1200, committeeSize: 5, sizeReason: '社区 1200 户，宜设 5 人' },
    });
    expect(res.status).toBe(201);
    expect(res.body.unitId).toBe('demo-community-b');
    // the representatives who consent to the size are 和谐社区's, not 幸福社区's
    expect(res.body.openTasks[0].candidateGroups).toEqual(['resident-reps@demo-community-b']);
    expect((await candidateTasks('hexie-reps')).map((t) => t.instanceId)).toContain(res.body.id);
    expect((await candidateTasks('resident-reps')).map((t) => t.instanceId)).not.toContain(res.body.id);
    const refused = await as('street-office', 'post', '/api/processes/committee-election/instances', {
      unitId: 'demo-community-c',
      variables: { communityName: '光明', households: 1200, committeeSize: 5, sizeReason: '宜设 5 人' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.fields).toEqual({ unitId: '不在您的管辖范围内' });
    // a community's election is filed under a community: the street itself is refused, at the field
    const street = await as('street-office', 'post', '/api/processes/committee-election/instances', {
      variables: { communityName: '和谐', households: 1200, committeeSize: 5, sizeReason: '宜设 5 人' },
    });
    expect(street.status).toBe(400);
    expect(street.body.error.fields).toEqual({ unitId: '请选择社区' });
    expect(street.body.error.message).toBe('该流程须为某个社区发起：请在“所属单位”中选择社区');
    const unknown = await as('party-committee', 'post', '/api/processes/four-deliberations/instances', { unitId: 'nowhere', variables: proposal('x') });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.fields).toEqual({ unitId: '所属单位不存在' });
  });
});

describe('the public board', () => {
  it('stays public, and filters by unit: a community, or a street with its communities', async () => {
    const res = await as('street-office', 'post', '/api/processes/committee-election/instances', {
      businessKey: 'ORG-BOARD',
      unitId: 'demo-community-b',
      variables: { communityName: '和谐', households: 1200, committeeSize: 5, sizeReason: '社区 1200 户，宜设 5 人' },
    });
    expect(res.status).toBe(201);
    await d.complete('hexie-reps', res.body.id, 'sizeConsent', { repsMeetingDate: '2026-03-02', repsTotal: 40, repsConsenting: 21 });
    await d.complete('hexie-rc', res.body.id, 'registerVoters', {
      electorateType: 'all-voters',
      registeredVoters: 1000,
      electionDate: '2026-03-28',
      voterListNote: '在社区公告栏公布',
    });
    const board = async (query: string) =>
      ((await request(d.app).get(`/api/notices?limit=200${query}`)).body as { businessKey: string }[]).filter((n) => n.businessKey === 'ORG-BOARD').length;
    expect(await board('')).toBe(1);
    expect(await board('&unitId=demo-community-b')).toBe(1);
    expect(await board('&unitId=demo-street-1')).toBe(1);
    expect(await board('&unitId=demo-community-a')).toBe(0);
    expect(await board('&unitId=demo-street-2')).toBe(0);
    const page = await request(d.app).get('/notices?unit=demo-community-a');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('ORG-BOARD');
    const mine = await request(d.app).get('/notices?unit=demo-community-b');
    expect(mine.text).toMatch(/和谐社区 · 编号 ORG-BOARD/);
  });
});

describe('units', () => {
  it('creates a tree in Chinese, refuses misplaced units, and never deletes a unit that still has people', async () => {
    const street = await as('admin', 'post', '/api/admin/units', { name: '东风街道', kind: 'street', parentId: 'demo-district' });
    expect(street.status).toBe(201);
    expect(street.body).toMatchObject({ name: '东风街道', kind: 'street', kindName: '街道（镇）', parentId: 'demo-district', pathNames: ['示范市', '和平区', '东风街道'] });
    const community = await as('admin', 'post', '/api/admin/units', { name: '东风社区', kind: 'community', parentId: street.body.id, id: 'dongfeng' });
    expect(community.status).toBe(201);
    expect(community.body.id).toBe('dongfeng');

    const misplaced = await as('admin', 'post', '/api/admin/units', { name: '错位社区', kind: 'community', parentId: 'demo-district' });
    expect(misplaced.status).toBe(400);
    expect(misplaced.body.error.fields.parentId).toBe('社区的上级单位应为街道（镇），不能是区（县）');
    expect((await as('admin', 'post', '/api/admin/units', { name: '', kind: 'street', parentId: 'demo-district' })).body.error.fields).toEqual({ name: '请填写单位名称' });
    expect((await as('admin', 'post', '/api/admin/units', { name: 'x', kind: 'village' })).body.error.fields).toEqual({ kind: '单位类型无效' });
    expect((await as('admin', 'post', '/api/admin/units', { name: '重复', kind: 'community', parentId: street.body.id, id: 'dongfeng' })).status).toBe(409);

    const user = await as('admin', 'post', '/api/admin/users', { username: 'df-rc', displayName: '东风社区居委会', unitId: 'dongfeng', roles: ['residents-committee'], password: 'Temp-2026!' });
    expect(user.status).toBe(201);
    const refused = await as('admin', 'delete', '/api/admin/units/dongfeng');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe('该单位下还有1 个用户，不能删除');
    expect((await as('admin', 'delete', `/api/admin/units/${street.body.id}`)).status).toBe(409);
    const withCases = await as('admin', 'delete', '/api/admin/units/demo-community-a');
    expect(withCases.status).toBe(409);
    expect(withCases.body.error.message).toMatch(/运行中的流程实例/);

    expect((await as('admin', 'patch', '/api/admin/units/dongfeng', { name: '东风新村社区' })).body.name).toBe('东风新村社区');
    expect((await as('admin', 'patch', '/api/admin/users/df-rc', { unitId: 'demo-community-c' })).status).toBe(200);
    expect((await as('admin', 'delete', '/api/admin/units/dongfeng')).status).toBe(204);
    expect((await as('admin', 'delete', '/api/admin/units/dongfeng')).status).toBe(404);

    const units = await as('admin', 'get', '/api/admin/units');
    expect((units.body.items as { id: string }[]).map((u) => u.id)).not.toContain('dongfeng');
    expect((await as('residents-committee', 'get', '/api/admin/units')).status).toBe(403);
  });
});

describe('users', () => {
  it('a password an administrator sets must be changed before anything else', async () => {
    const created = await as('admin', 'post', '/api/admin/users', {
      username: 'xf-grid2',
      displayName: '幸福社区网格员二',
      unitId: 'demo-community-a',
      roles: ['grid-worker'],
      password: 'Start-2026!',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'xf-grid2', mustChangePassword: true, roleNames: ['网格员'], unitName: '幸福社区' });
    expect(created.body.passwordHash).toBeUndefined();

    const login = await request(d.app).post('/api/auth/login').send({ username: 'xf-grid2', password: 'Start-2026!' });
    expect(login.status).toBe(200);
    expect(login.body.mustChangePassword).toBe(true);
    const token = login.body.token as string;
    const blocked = await request(d.app).get('/api/tasks').set('Authorization', `Bearer ${token}`);
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('password_change_required');
    expect((await request(d.app).get('/api/auth/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const changed = await request(d.app)
      .post('/api/auth/password')
      .set('Authorization', `Bearer ${token}`)
      .send({ currentPassword: 'Start-2026!', newPassword: 'Mine-2026-xf' });
    expect(changed.status).toBe(204);
    const again = await request(d.app).post('/api/auth/login').send({ username: 'xf-grid2', password: 'Mine-2026-xf' });
    expect(again.body.mustChangePassword).toBeUndefined();
    expect((await request(d.app).get('/api/tasks').set('Authorization', `Bearer ${again.body.token}`)).status).toBe(200);

    // a reset by the administrator makes it temporary again and ends the user's tokens
    expect((await as('admin', 'patch', '/api/admin/users/xf-grid2', { password: 'Reset-2026!' })).body.mustChangePassword).toBe(true);
    expect((await request(d.app).get('/api/tasks').set('Authorization', `Bearer ${again.body.token}`)).status).toBe(401);

    // disabled: cannot log in
    expect((await as('admin', 'patch', '/api/admin/users/xf-grid2', { disabled: true })).body.disabled).toBe(true);
    expect((await request(d.app).post('/api/auth/login').send({ username: 'xf-grid2', password: 'Reset-2026!' })).status).toBe(401);
  });

  it('refuses bad users with the field at fault, and audits what administrators did', async () => {
    const bad = async (body: Record<string, unknown>) => (await as('admin', 'post', '/api/admin/users', body)).body.error.fields;
    const base = { username: 'ok-user', unitId: 'demo-community-a', roles: ['grid-worker'], password: 'Long-enough-1' };
    expect(await bad({ ...base, unitId: 'nowhere' })).toEqual({ unitId: '所属单位不存在' });
    expect(await bad({ ...base, roles: ['mayor'] })).toEqual({ roles: '未知角色：mayor' });
    expect(await bad({ ...base, password: 'short' })).toEqual({ password: '密码至少需要 8 个字符' });
    expect(await bad({ ...base, username: 'Bad Name' })).toHaveProperty('username');
    expect(await bad({ ...base, username: 'residents-committee' })).toEqual({ username: '用户名 residents-committee 已存在' });
    expect((await as('admin', 'patch', '/api/admin/users/nobody', { displayName: 'x' })).status).toBe(404);
    expect((await as('admin', 'patch', '/api/admin/users/admin', { disabled: true })).status).toBe(400);

    const listed = await as('admin', 'get', '/api/admin/users?unitId=demo-community-b');
    expect((listed.body.items as { id: string }[]).map((u) => u.id).sort()).toEqual(['hexie-grid', 'hexie-pc', 'hexie-rc', 'hexie-reps']);

    const audit = await as('admin', 'get', '/api/admin/org-audit');
    const types = (audit.body.items as { type: string; target: string; actor: string }[]).map((e) => `${e.type} ${e.target}`);
    expect(types).toEqual(expect.arrayContaining(['user.created xf-grid2', 'user.password_reset xf-grid2', 'unit.deleted dongfeng', 'user.updated hexie-rc']));
  });

  it('imports users from a GBK CSV and an Excel workbook, row by row', async () => {
    const csv =
      '用户名,姓名,所属单位,角色,初始密码\n' +
      'hx-rc2,和谐社区居委会委员,和谐社区,社区居民委员会,Import-2026!\n' +
      'hx-bad,无单位的人,不存在的社区,网格员,Import-2026!\n' +
      'hx-short,密码太短,和谐社区,网格员,123\n' +
      'residents-committee,重名,和谐社区,网格员,Import-2026!\n' +
      'hx-role,未知角色,demo-community-b,村长,Import-2026!\n';
    const gbk = Buffer.from(new Uint8Array(encodeGbk(csv)));
    const noFile = await as('admin', 'post', '/api/admin/users/import');
    expect(noFile.status).toBe(400);
    expect(noFile.body.error.fields).toEqual({ file: '请选择文件' });
    // Over the import's 2 MB: refused as every API upload over its limit is, and nothing is created.
    const tooLarge = await request(d.app)
      .post('/api/admin/users/import')
      .set('Authorization', `Bearer ${await d.token('admin')}`)
      .attach('file', Buffer.concat([Buffer.from(csv), Buffer.alloc(2 * 1024 * 1024)]), { filename: '人员.csv', contentType: 'text/csv' });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error).toMatchObject({ code: 'payload_too_large', message: '文件过大（最大 2 MB）', fields: { file: '最大 2 MB' } });
    const imported = await request(d.app)
      .post('/api/admin/users/import')
      .set('Authorization', `Bearer ${await d.token('admin')}`)
      .attach('file', gbk, { filename: '和谐社区人员.csv', contentType: 'text/csv' });
    expect(imported.status).toBe(200);
    expect(imported.body.created).toEqual(['hx-rc2']);
    expect(imported.body.refused).toEqual([
      { row: 3, username: 'hx-bad', reason: '单位“不存在的社区”不存在' },
      { row: 4, username: 'hx-short', reason: '密码至少需要 8 个字符' },
      { row: 5, username: 'residents-committee', reason: '用户名 residents-committee 已存在' },
      { row: 6, username: 'hx-role', reason: '未知角色：村长' },
    ]);
    // the imported member acts for 和谐社区 at once (after changing the temporary password)
    const users = await as('admin', 'get', '/api/admin/users?unitId=demo-community-b');
    expect((users.body.items as { id: string; mustChangePassword: boolean }[]).find((u) => u.id === 'hx-rc2')).toMatchObject({ mustChangePassword: true });

    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('人员');
    sheet.addRow(['姓名', '用户名', '初始密码', '所属单位', '角色']);
    sheet.addRow(['光明社区网格员二', 'gm-grid2', 'Import-2026!', '光明社区', 'grid-worker、resident-reps']);
    sheet.addRow([]);
    sheet.addRow(['', '', '', '', '']);
    sheet.addRow(['缺用户名', '', 'Import-2026!', '光明社区', '网格员']);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const fromExcel = await request(d.app)
      .post('/api/admin/users/import')
      .set('Authorization', `Bearer ${await d.token('admin')}`)
      .attach('file', xlsx, '人员.xlsx');
    expect(fromExcel.status).toBe(200);
    expect(fromExcel.body.created).toEqual(['gm-grid2']);
    expect(fromExcel.body.refused).toEqual([{ row: 5, username: '', reason: expect.stringContaining('用户名') }]);
    const gm = (await as('admin', 'get', '/api/admin/users?unitId=demo-community-c')).body.items.find((u: { id: string }) => u.id === 'gm-grid2');
    expect(gm.roles).toEqual(['grid-worker', 'resident-reps']);

    const wrongType = await request(d.app)
      .post('/api/admin/users/import')
      .set('Authorization', `Bearer ${await d.token('admin')}`)
      .attach('file', Buffer.from('not a sheet'), 'users.txt');
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.fields).toEqual({ file: '只能导入 .xlsx 或 .csv 文件' });
    const noHeader = await request(d.app)
      .post('/api/admin/users/import')
      .set('Authorization', `Bearer ${await d.token('admin')}`)
      .attach('file', Buffer.from('a,b\n1,2\n'), 'x.csv');
    expect(noHeader.body.error.message).toBe('第 1 行缺少列：用户名、所属单位、初始密码（应有：用户名、姓名、所属单位、角色、初始密码）');
  });
});

/** GBK bytes of a text, as Excel on a Chinese Windows saves a CSV (via the platform's own decoder in reverse). */
function encodeGbk(text: string): number[] {
  const decoder = new TextDecoder('gbk');
  const table = new Map<string, number[]>();
  for (let hi = 0x81; hi <= 0xfe; hi++) {
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      if (lo === 0x7f) continue;
      const ch = decoder.decode(new Uint8Array([hi, lo]));
      if (ch.length === 1 && !table.has(ch)) table.set(ch, [hi, lo]);
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else out.push(...(table.get(ch) ?? [0x3f]));
  }
  return out;
}
