import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ensureIndexes, secondaryIndexesServeQueries } from '../server/db/collections.js';
import { MAX_ATTACHMENT_BYTES } from '../server/records/file-types.js';
import { linearProcess, type Node } from './support/bpmn.js';
import { ProcessDriver, type InstanceJson } from './support/process-driver.js';

// Attachments of a case (POST/GET /api/instances/:id/attachments, GET /api/attachments/:id) on the P5 grid event,
// reported by the grid worker of 幸福社区 (新华街道): who may add files, who may read them, and which files are refused.

let d: ProcessDriver;

const EVENT = {
  eventType: 'sanitation',
  grid: '幸福社区第3网格',
  place: '幸福路 12 号门前',
  description: '人行道上堆放建筑垃圾约 2 立方米，占用盲道',
  urgency: 'normal',
};

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR-a-photo-of-the-pavement')]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64, 0x90)]);

/** Three experts score on their own (a parallel multi-instance task), then the street office files the case. */
const panelXml = linearProcess('att_panel', '独立评审附件', [
  { id: 'start', event: true, xml: '<bpmn:startEvent id="start" name="开始"><!--flows--></bpmn:startEvent>' },
  {
    id: 'score',
    xml: `<bpmn:userTask id="score" name="专家评分" camunda:assignee="\${expert}">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="points" label="得分" type="long"><camunda:validation><camunda:constraint name="required" /></camunda:validation></camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <!--flows-->
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="\${[&quot;expert1&quot;,&quot;expert2&quot;]}" camunda:elementVariable="expert" />
    </bpmn:userTask>`,
  },
  { id: 'end', event: true, xml: '<bpmn:endEvent id="end" name="结束"><!--flows--></bpmn:endEvent>' },
] as Node[]);

beforeAll(async () => {
  d = await ProcessDriver.create('attachments_api', '2026-03-02T09:00:00+08:00');
  await d.runtime.deploy(panelXml, null);
});

afterAll(async () => {
  await d?.close();
});

async function upload(username: string, instanceId: string, name: string, bytes: Buffer, taskId?: string) {
  const req = request(d.app)
    .post(`/api/instances/${encodeURIComponent(instanceId)}/attachments`)
    .set('Authorization', `Bearer ${await d.token(username)}`);
  if (taskId) req.field('taskId', taskId);
  return req.attach('file', bytes, { filename: name, contentType: 'application/octet-stream' });
}

/** The response with its body as bytes, whatever its type. */
async function download(username: string, id: string) {
  return request(d.app)
    .get(`/api/attachments/${id}`)
    .set('Authorization', `Bearer ${await d.token(username)}`)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

async function reported(businessKey: string): Promise<InstanceJson> {
  return d.start('grid-worker', 'grid-event', EVENT, businessKey);
}

describe('adding files', () => {
  it('the reporter adds a photo to the case; whoever may see the case lists and downloads it, other units get 403', async () => {
    const inst = await reported('WG-ATT-1');
    const added = await upload('grid-worker', inst.id, '现场照片 “幸福路”.png', PNG);
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}$/), name: '现场照片 “幸福路”.png', size: PNG.length });
    expect(added.headers.location).toBe(`/api/attachments/${added.body.id}`);

    // the grid office acts on the dispatch; the street office is the unit above the community
    for (const viewer of ['grid-office', 'street-office', 'admin']) {
      const list = await d.get(viewer, `/api/instances/${inst.id}/attachments`);
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({
          id: added.body.id,
          name: '现场照片 “幸福路”.png',
          size: PNG.length,
          sha256: createHash('sha256').update(PNG).digest('hex'),
          taskId: null,
          step: null,
          uploadedBy: 'grid-worker',
          uploadedByName: '网格员（演示）',
          uploadedAt: '2026-03-02T01:00:00.000Z',
        }),
      ]);
    }
    const file = await download('street-office', added.body.id);
    expect(file.status).toBe(200);
    expect(Buffer.compare(file.body as Buffer, PNG)).toBe(0);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.headers['content-disposition']).toBe(
      `inline; filename="____ _____.png"; filename*=UTF-8''${encodeURIComponent('现场照片 “幸福路”.png')}`,
    );

    // a community of the same street, and another street: not theirs to see
    for (const outsider of ['hexie-grid', 'guangming-street']) {
      expect((await d.get(outsider, `/api/instances/${inst.id}/attachments`)).status).toBe(403);
      const denied = await d.get(outsider, `/api/attachments/${added.body.id}`);
      expect(denied.status).toBe(403);
      expect(denied.body.error.code).toBe('forbidden');
    }
    expect((await d.get('street-office', '/api/attachments/0123456789abcdef01234567')).status).toBe(404);
    expect((await d.get('street-office', '/api/attachments/nope')).status).toBe(404);
    expect((await d.get('street-office', '/api/instances/nope/attachments')).status).toBe(404);
  });

  it('a file added to a task records the step; only those who may act on that open task may add one', async () => {
    const inst = await reported('WG-ATT-2');
    const dispatch = await d.task('grid-office', inst.id, 'dispatch');
    d.clock.set(new Date('2026-03-02T10:30:00+08:00'));
    const added = await upload('grid-office', inst.id, '派遣单.pdf', PDF, dispatch.id);
    expect(added.status).toBe(201);
    const [record] = (await d.get('grid-worker', `/api/instances/${inst.id}/attachments`)).body.items;
    expect(record).toMatchObject({ taskId: dispatch.id, elementId: 'dispatch', step: '网格管理办公室派遣（拨）', uploadedBy: 'grid-office', uploadedAt: '2026-03-02T02:30:00.000Z' });

    // not a candidate of the dispatch; another community; and a task of another case
    const responsible = await upload('responsible-unit', inst.id, '说明.pdf', PDF, dispatch.id);
    expect(responsible.status).toBe(403);
    expect(responsible.body.error.message).toBe('只有能办理这项任务的人可以向它添加附件');
    expect((await upload('responsible-unit', inst.id, '说明.pdf', PDF)).status).toBe(403);
    expect((await upload('hexie-grid', inst.id, '说明.pdf', PDF)).status).toBe(403);
    const other = await reported('WG-ATT-3');
    expect((await upload('grid-office', other.id, '派遣单.pdf', PDF, dispatch.id)).status).toBe(404);

    // a done task takes no more files; a cancelled case none at all
    await d.complete('grid-office', inst.id, 'dispatch', { responsibleUnit: '街道城管执法队', handleDueDate: '2026-03-06' });
    const late = await upload('grid-office', inst.id, '补充.pdf', PDF, dispatch.id);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe('这项任务已办结，不能再添加附件');
    expect((await d.post('admin', `/api/instances/${inst.id}/cancel`, { reason: '测试' })).status).toBe(200);
    const closed = await upload('grid-worker', inst.id, '补充.pdf', PDF);
    expect(closed.status).toBe(409);
    expect(closed.body.error.message).toBe('流程已结束，不能再添加附件');
    // what was added stays readable
    expect((await d.get('grid-worker', `/api/instances/${inst.id}/attachments`)).body.items).toHaveLength(1);
  });

  it('names a file safely whatever its name holds: quotes, semicolons and line breaks never reach the header as written', async () => {
    const inst = await reported('WG-ATT-NAME');
    const added = await upload('grid-worker', inst.id, 'a"b; filename=evil.exe\r\nX-Evil: 1.pdf', PDF);
    expect(added.status).toBe(201);
    const file = await download('grid-worker', added.body.id);
    expect(file.headers['x-evil']).toBeUndefined();
    expect(file.headers['content-disposition']).toBe(
      `attachment; filename="a_b_ filename=evil.exeX-Evil: 1.pdf"; filename*=UTF-8''a%22b%3B%20filename%3Devil.exeX-Evil%3A%201.pdf`,
    );
    expect(file.headers['content-type']).toBe('application/pdf');
  });

  it('keeps each file in GridFS with who, when, which step and its checksum', async () => {
    const inst = await reported('WG-ATT-4');
    const added = await upload('grid-worker', inst.id, '自查报告.pdf', PDF);
    const files = d.database.db.collection('attachments.files');
    const doc = await files.findOne({ filename: '自查报告.pdf' });
    expect(doc).toMatchObject({
      length: PDF.length,
      metadata: { instanceId: inst.id, taskId: null, uploadedBy: 'grid-worker', size: PDF.length, sha256: createHash('sha256').update(PDF).digest('hex'), ext: 'pdf' },
    });
    expect(String(doc!._id)).toBe(added.body.id);
    expect(await d.database.db.collection('attachments.chunks').countDocuments({ files_id: doc!._id })).toBe(1);
    const indexes = await d.database.db.collection('attachments.chunks').listIndexes().toArray();
    expect(indexes).toContainEqual(expect.objectContaining({ name: 'files_id_1_n_1', unique: true }));

    // at the next start-up the indexes are those declared (on FerretDB the unique one only), and files still go in
    await ensureIndexes(d.database.db);
    const names = async (collection: string) => (await d.database.db.collection(collection).listIndexes().toArray()).map((i) => i.name as string).sort();
    const useful = await secondaryIndexesServeQueries(d.database.db);
    expect(await names('attachments.files')).toEqual(useful ? ['_id_', 'filename_1_uploadDate_1', 'metadata.instanceId_uploadDate'] : ['_id_']);
    expect(await names('attachments.chunks')).toEqual(['_id_', 'files_id_1_n_1']);
    expect((await upload('grid-worker', inst.id, '补充说明.pdf', PDF)).status).toBe(201);
    expect((await d.get('grid-worker', `/api/instances/${inst.id}/attachments`)).body.items).toHaveLength(2);
  });
});

describe('refusals', () => {
  let inst: InstanceJson;
  beforeAll(async () => {
    inst = await reported('WG-ATT-REFUSE');
  });

  it.each([
    ['run.exe', EXE, '不支持的文件类型（.exe）：只能上传 pdf、jpg、jpeg、png、gif、webp、doc、xls、docx、xlsx、txt、csv 文件'],
    ['没有扩展名', PDF, '不支持的文件类型：只能上传 pdf、jpg、jpeg、png、gif、webp、doc、xls、docx、xlsx、txt、csv 文件'],
    ['合同.pdf', EXE, '文件内容与扩展名 .pdf 不符，请上传真实的 PDF 文件'],
    ['照片.jpg', PNG, '文件内容与扩展名 .jpg 不符，请上传真实的 JPG 文件'],
    ['名单.docx', PDF, '文件内容与扩展名 .docx 不符，请上传真实的 DOCX 文件'],
    ['说明.txt', Buffer.from('abc\u0000def'), '文件内容与扩展名 .txt 不符，请上传真实的 TXT 文件'],
    ['说明.txt', PDF, '文件内容与扩展名 .txt 不符，请上传真实的 TXT 文件'],
    ['空.pdf', Buffer.alloc(0), '文件是空的，请重新选择'],
  ])('%s: 400 with the reason at the field', async (name, bytes, message) => {
    const res = await upload('grid-worker', inst.id, name, bytes);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'bad_request', message, fields: { file: message } });
  });

  it('refuses a file over 10 MB with 413', async () => {
    const big = Buffer.concat([PDF, Buffer.alloc(MAX_ATTACHMENT_BYTES + 1 - PDF.length, 0x20)]);
    const res = await upload('grid-worker', inst.id, '扫描件.pdf', big);
    expect(res.status).toBe(413);
    expect(res.body.error.message).toBe('文件过大（最大 10 MB）');
  });

  it('refuses a request without a file, or with two', async () => {
    const none = await request(d.app)
      .post(`/api/instances/${inst.id}/attachments`)
      .set('Authorization', `Bearer ${await d.token('grid-worker')}`)
      .field('taskId', '');
    expect(none.status).toBe(400);
    const two = await request(d.app)
      .post(`/api/instances/${inst.id}/attachments`)
      .set('Authorization', `Bearer ${await d.token('grid-worker')}`)
      .attach('file', PDF, '一.pdf')
      .attach('file', PDF, '二.pdf');
    expect(two.status).toBe(400);
    expect(two.body.error.message).toBe('一次只能上传一个文件（字段 file）');
  });

  it('accepts each allowed kind when its content matches, a GBK csv included', async () => {
    const accepted: [string, Buffer][] = [
      ['扫描件.PDF', PDF],
      ['照片.jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46])],
      ['动图.gif', Buffer.from('GIF89a\u0001\u0000')],
      ['照片.webp', Buffer.concat([Buffer.from('RIFF'), Buffer.from([4, 0, 0, 0]), Buffer.from('WEBPVP8 ')])],
      ['名单.xlsx', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0])],
      ['旧表格.xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0])],
      // 姓名,电话 in GBK, as Excel saves a CSV on a Chinese Windows
      ['名单.csv', Buffer.from([0xd0, 0xd5, 0xc3, 0xfb, 0x2c, 0xb5, 0xe7, 0xbb, 0xb0, 0x0d, 0x0a])],
    ];
    for (const [name, bytes] of accepted) expect([name, (await upload('grid-worker', inst.id, name, bytes)).status]).toEqual([name, 201]);
    const types = (await d.get('grid-worker', `/api/instances/${inst.id}/attachments`)).body.items.map((a: { contentType: string }) => a.contentType);
    expect(types).toEqual([
      'application/pdf',
      'image/jpeg',
      'image/gif',
      'image/webp',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.ms-excel',
      'text/csv; charset=utf-8',
    ]);
  });
});

describe('sessions and independent review', () => {
  it('a cookie session sends the CSRF token as a field of the multipart body', async () => {
    const inst = await reported('WG-ATT-CSRF');
    const agent = request.agent(d.app);
    const login = await agent.post('/api/auth/login').send({ username: 'grid-worker', password: 'demo' });
    const url = `/api/instances/${inst.id}/attachments`;
    const refused = await agent.post(url).attach('file', PDF, '报告.pdf');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('csrf_failed');
    const wrong = await agent.post(url).field('_csrf', 'not-the-token').attach('file', PDF, '报告.pdf');
    expect(wrong.status).toBe(403);
    const ok = await agent.post(url).field('_csrf', login.body.csrfToken).attach('file', PDF, '报告.pdf');
    expect(ok.status).toBe(201);
  });

  it("while an independent review is open, a reviewer does not see the other reviewer's files", async () => {
    const started = await d.start('street-office', 'att_panel', {}, 'PANEL-1');
    const mine = started.openTasks.find((t) => t.assignee === 'expert1')!;
    const theirs = started.openTasks.find((t) => t.assignee === 'expert2')!;
    const one = await upload('expert1', started.id, '评分依据.pdf', PDF, mine.id);
    const two = await upload('expert2', started.id, '评分依据二.pdf', PDF, theirs.id);
    expect([one.status, two.status]).toEqual([201, 201]);
    const seenBy = async (user: string) => (await d.get(user, `/api/instances/${started.id}/attachments`)).body.items.map((a: { name: string }) => a.name);
    expect(await seenBy('expert1')).toEqual(['评分依据.pdf']);
    expect(await seenBy('expert2')).toEqual(['评分依据二.pdf']);
    expect(await seenBy('street-office')).toEqual(['评分依据.pdf', '评分依据二.pdf']);
    const hidden = await d.get('expert1', `/api/attachments/${two.body.id}`);
    expect(hidden.status).toBe(403);
    expect(hidden.body.error.message).toBe('独立评审进行中，其他评审人的附件在本环节结束前不公开');
    // once both have scored, everything shows
    await d.completeTask('expert1', mine, { points: 80 });
    await d.completeTask('expert2', theirs, { points: 90 });
    expect(await seenBy('expert1')).toEqual(['评分依据.pdf', '评分依据二.pdf']);
  });
});
