import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AttachmentStore } from '../server/records/attachments.js';
import { MAX_ATTACHMENT_BYTES } from '../server/records/file-types.js';
import { MAX_START_FILES } from '../server/web/start-upload.js';
import { ProcessDriver } from './support/process-driver.js';
import { csrfOf, signedInAgent } from './support/web-session.js';

// Files sent with the start form (POST /start/:key as multipart): each checked before the instance starts, stored on
// the new case as the starter's 发起 files, and a refused one keeps the case from starting with the typed form kept.

let d: ProcessDriver;

// A 1×1 PNG and a one-line PDF: real signatures, as the attachment store checks them.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n%%EOF\n');
const EXE = Buffer.from('MZ\u0090\u0000\u0003', 'latin1');

const EVENT = { eventType: 'sanitation', grid: '第1网格', place: '幸福路 8 号', description: '幸福路 8 号堆放建筑垃圾', urgency: 'normal' };

beforeAll(async () => {
  d = await ProcessDriver.create('start_upload', '2026-03-02T09:00:00+08:00');
});

afterAll(async () => {
  await d?.close();
});

type Agent = Awaited<ReturnType<typeof signedInAgent>>['agent'];

async function signIn(username: string) {
  const { agent } = await signedInAgent(d.app, username);
  const page = await agent.get('/start');
  expect(page.status).toBe(200);
  return { agent, csrf: csrfOf(page.text), page: page.text };
}

/** A multipart start form: every value as a field, in order, then the files. */
function startForm(agent: Agent, key: string, values: Record<string, string>, files: [Buffer, string][]) {
  let req = agent.post(`/start/${key}`);
  for (const [name, value] of Object.entries(values)) req = req.field(name, value);
  for (const [bytes, name] of files) req = req.attach('files', bytes, name);
  return req;
}

async function instancesByKey(businessKey: string) {
  const res = await d.get('admin', `/api/instances?businessKey=${encodeURIComponent(businessKey)}`);
  return (res.body.items as { id: string }[]).map((i) => i.id);
}

const text = (html: string) => html.replace(/&#x3D;/g, '=').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('the start page offers a file input', () => {
  it('as multipart, with the types and limits in Chinese, after the form fields', async () => {
    const { page } = await signIn('grid-worker');
    expect(page).toContain('action="/start/grid-event" class="form" enctype="multipart/form-data" novalidate');
    expect(page).toMatch(/<input type="file" id="files_grid-event" name="files" accept="\.pdf,\.jpg,[^"]*" multiple/);
    expect(text(page)).toContain(`PDF、图片（JPG、PNG、GIF、WebP）、Word、Excel、TXT、CSV，每个不超过 10 MB；一次最多 ${MAX_START_FILES} 个，合计不超过 30 MB`);
    const form = page.slice(page.indexOf('action="/start/grid-event"'));
    expect(form.indexOf('name="files"')).toBeGreaterThan(form.indexOf('name="description"'));
  });
});

describe('starting with files', () => {
  it('two valid files: the case starts, both are its starter’s 发起 files, downloadable by the starter and not by another community', async () => {
    const { agent, csrf } = await signIn('grid-worker');
    const sent = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-001', ...EVENT, minorEvent: 'true', minorListItem: '建筑垃圾' }, [
      [PNG, '现场照片.png'],
      [PDF, '情况说明.pdf'],
    ]);
    expect(sent.status).toBe(303);
    const [id] = await instancesByKey('WG-SU-001');
    expect(sent.headers.location).toBe(`/instances/${id}`);

    const instance = await d.instance(id!);
    expect(instance.variables).toMatchObject({ ...EVENT, minorEvent: true });
    const listed = (await d.get('grid-worker', `/api/instances/${id}/attachments`)).body.items as Record<string, unknown>[];
    expect(listed.map((a) => [a.name, a.size, a.step, a.taskId, a.uploadedBy])).toEqual([
      ['现场照片.png', PNG.length, '发起', null, 'grid-worker'],
      ['情况说明.pdf', PDF.length, '发起', null, 'grid-worker'],
    ]);

    const page = await agent.get(`/instances/${id}`);
    expect(text(page.text)).toContain('已发起：网格事件（巡、拨、办、督）（WG-SU-001），附件 2 个已保存');
    expect(text(page.text)).toMatch(/现场照片\.png \d+ 字节 · 发起 · 网格员（演示）/);
    expect(text(page.text)).toMatch(/情况说明\.pdf 15 字节 · 发起 · 网格员（演示）/);
    const link = /href="(\/api\/attachments\/[0-9a-f]{24})" class="attachment-link">现场照片\.png/.exec(page.text)![1]!;
    const file = await agent.get(link).buffer(true);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(file.body as Buffer, PNG)).toBe(0);
    expect((await (await signIn('hexie-grid')).agent.get(link)).status).toBe(403);

    // the 审批单 lists them with the start
    const print = text((await agent.get(`/instances/${id}/print`)).text);
    expect(print).toMatch(/发起 网格员（演示） 2026-03-02 09:00 .*附件： 现场照片\.png 情况说明\.pdf/);
  });

  it('with the 所属单位 choice, an enum, a date and a table, all as multipart', async () => {
    const street = await signIn('street-office');
    const sent = await startForm(
      street.agent,
      'secondee-appraisal',
      {
        _csrf: street.csrf,
        businessKey: 'SU-P7',
        unitId: 'demo-community-a',
        appraisalYear: '2025',
        communityName: '幸福',
        secondeeName: '张伟',
        homeDepartment: '新华街道综合执法队',
        team: 'rectification',
        committeeWeight: '75',
        workPlanRef: '新华街道下沉人员管理工作方案',
        appraisalDueDate: '2026-03-20',
      },
      [[PDF, '工作方案.pdf']],
    );
    expect(sent.status).toBe(303);
    const [p7] = await instancesByKey('SU-P7');
    const appraisal = await d.instance(p7!);
    expect((appraisal as unknown as { unitId: string }).unitId).toBe('demo-community-a');
    expect(appraisal.variables).toMatchObject({ team: 'rectification', committeeWeight: 75, secondeeName: '张伟' });
    expect(String(appraisal.variables.appraisalDueDate)).toMatch(/^2026-03-(19T16|20)/);

    const office = await signIn('leading-office');
    const table = '翠湖社区，五华区\n金碧社区，西山区';
    const pilot = await startForm(
      office.agent,
      'pilot-campaign',
      {
        _csrf: office.csrf,
        businessKey: 'SU-P1',
        communityList: table,
        applicationDueDate: '2026-09-30',
        selfCheckDueDate: '2026-10-31',
        evaluationDueDate: '2026-11-30',
        namingDueDate: '2026-12-31',
      },
      [[PNG, '申报通知.png']],
    );
    expect(pilot.status).toBe(303);
    const [p1] = await instancesByKey('SU-P1');
    expect((await d.instance(p1!)).variables.communityList).toBe(table);
    expect(((await d.get('leading-office', `/api/instances/${p1}/attachments`)).body.items as { name: string }[]).map((a) => a.name)).toEqual(['申报通知.png']);
  });
});

describe('a refused file starts nothing', () => {
  it('a program named .png: the form comes back as typed, naming the file', async () => {
    const { agent, csrf } = await signIn('grid-worker');
    const res = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-002', ...EVENT, place: '幸福路 <9> 号' }, [
      [PNG, '好照片.png'],
      [EXE, '伪装照片.png'],
    ]);
    expect(res.status).toBe(400);
    expect(await instancesByKey('WG-SU-002')).toEqual([]);
    expect(res.text).toContain('附件未通过检查，流程未发起');
    expect(res.text).toContain('附件“伪装照片.png”：文件内容与扩展名 .png 不符，请上传真实的 PNG 文件');
    expect(res.text).not.toContain('附件“好照片.png”');
    expect(res.text).toContain('value="WG-SU-002"');
    expect(res.text).toContain('value="幸福路 &lt;9&gt; 号"');
    expect(res.text).toMatch(/<option value="sanitation" selected>/);
    expect(res.text).toMatch(/<details class="card start" open>\s*<summary><span class="pname">网格事件/);
    expect(res.text).toMatch(/<div class="field start-files invalid">[\s\S]*aria-invalid="true"/);
  });

  it('a refused file and a form mistake at once: both are shown, so that one more submission fixes both', async () => {
    const { agent, csrf } = await signIn('grid-worker');
    const res = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-009', ...EVENT, place: '' }, [[EXE, '现场.png']]);
    expect(res.status).toBe(400);
    expect(await instancesByKey('WG-SU-009')).toEqual([]);
    expect(text(res.text)).toContain('附件未通过检查，表单也有 1 处需要修改，流程未发起。已填写的内容已保留，请修改后重新选择附件再提交。');
    expect(res.text).toContain('附件“现场.png”：文件内容与扩展名 .png 不符');
    expect(text(res.text)).toContain('“事件地点”不能为空');
    expect(res.text).toContain('幸福路 8 号堆放建筑垃圾');
  });

  it('a file over 10 MB, and files over the request’s total: nothing started, each named', async () => {
    const { agent, csrf } = await signIn('grid-worker');
    const big = Buffer.concat([PDF, Buffer.alloc(MAX_ATTACHMENT_BYTES)]);
    const res = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-003', ...EVENT }, [
      [PNG, '小照片.png'],
      [big, '扫描件.pdf'],
    ]);
    expect(res.status).toBe(400);
    expect(await instancesByKey('WG-SU-003')).toEqual([]);
    expect(res.text).toContain('附件“扫描件.pdf”：文件过大（最大 10 MB）');
    expect(res.text).toContain('value="WG-SU-003"');

    const nine = Buffer.concat([PDF, Buffer.alloc(9 * 1024 * 1024)]);
    const total = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-004', ...EVENT }, [
      [nine, '一.pdf'],
      [nine, '二.pdf'],
      [nine, '三.pdf'],
      [nine, '四.pdf'],
    ]);
    expect(total.status).toBe(400);
    expect(await instancesByKey('WG-SU-004')).toEqual([]);
    expect(total.text).toContain('附件“四.pdf”：附件合计超过 30 MB，本文件未能接收');
    expect(total.text).not.toContain('附件“三.pdf”');

    // past the request's ceiling reading stops; the fields, sent before the files, still come back
    const cut = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-012', ...EVENT }, [
      [nine, '一.pdf'],
      [nine, '二.pdf'],
      [nine, '三.pdf'],
      [nine, '四.pdf'],
      [nine, '五.pdf'],
    ]);
    expect(cut.status).toBe(400);
    expect(await instancesByKey('WG-SU-012')).toEqual([]);
    expect(cut.text).toContain('提交的内容过大：附件合计不能超过 30 MB');
    expect(cut.text).toContain('value="WG-SU-012"');
  });

  it(`more than ${MAX_START_FILES} files, and an empty file`, async () => {
    const { agent, csrf } = await signIn('grid-worker');
    const many = Array.from({ length: MAX_START_FILES + 1 }, (_, i): [Buffer, string] => [PNG, `照片${i + 1}.png`]);
    const res = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-005', ...EVENT }, many);
    expect(res.status).toBe(400);
    expect(await instancesByKey('WG-SU-005')).toEqual([]);
    expect(res.text).toContain(`一次最多随发起上传 ${MAX_START_FILES} 个附件`);
    expect(res.text).toContain('value="WG-SU-005"');

    const empty = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-006', ...EVENT }, [[Buffer.alloc(0), '空.pdf']]);
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('附件“空.pdf”：文件是空的，请重新选择');
    expect(await instancesByKey('WG-SU-006')).toEqual([]);
  });

  it('a form refused by its own rules keeps the files unstored, and a valid start without files stores none', async () => {
    const { agent, csrf } = await signIn('grid-worker');
    const refused = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-007', ...EVENT, place: '' }, [[PNG, '照片.png']]);
    expect(refused.status).toBe(400);
    expect(await instancesByKey('WG-SU-007')).toEqual([]);
    const none = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-008', ...EVENT }, []);
    expect(none.status).toBe(303);
    const [id] = await instancesByKey('WG-SU-008');
    expect((await d.get('grid-worker', `/api/instances/${id}/attachments`)).body.items).toEqual([]);
  });
});

describe('a file that cannot be stored after the start', () => {
  it('keeps the case: the instance page says which file was not kept', async () => {
    const { agent, csrf } = await signIn('grid-worker');
    const original = AttachmentStore.prototype.save;
    const save = jest.spyOn(AttachmentStore.prototype, 'save').mockImplementation(async function (this: AttachmentStore, input) {
      if (input.name === '丢失.pdf') throw new Error('GridFS write failed');
      return original.call(this, input);
    });
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const sent = await startForm(agent, 'grid-event', { _csrf: csrf, businessKey: 'WG-SU-011', ...EVENT }, [
        [PDF, '丢失.pdf'],
        [PNG, '保存.png'],
      ]);
      const [id] = await instancesByKey('WG-SU-011');
      expect(sent.status).toBe(303);
      expect(sent.headers.location).toBe(`/instances/${id}#attachments`);
      expect(quiet).toHaveBeenCalled();
    } finally {
      save.mockRestore();
      quiet.mockRestore();
    }
    const [id] = await instancesByKey('WG-SU-011');
    const page = text((await agent.get(`/instances/${id}`)).text);
    expect(page).toContain('已发起：网格事件（巡、拨、办、督）（WG-SU-011）。但有 1 个附件未能保存，见下方“附件”。');
    expect(page).toContain('以下附件未能保存，请在此重新上传：丢失.pdf（保存时出错）');
    expect(((await d.get('grid-worker', `/api/instances/${id}/attachments`)).body.items as { name: string }[]).map((a) => a.name)).toEqual(['保存.png']);
  });
});

describe('CSRF with multipart', () => {
  it('a start form without the page’s token starts nothing and stores nothing', async () => {
    const { agent } = await signIn('grid-worker');
    const forged = await startForm(agent, 'grid-event', { businessKey: 'WG-SU-009', ...EVENT }, [[PNG, '伪造.png']]);
    expect(forged.status).toBe(403);
    const wrong = await startForm(agent, 'grid-event', { _csrf: 'x'.repeat(43), businessKey: 'WG-SU-009', ...EVENT }, [[PNG, '伪造.png']]);
    expect(wrong.status).toBe(403);
    expect(await instancesByKey('WG-SU-009')).toEqual([]);
    const stored = await d.database.db.collection('attachments.files').countDocuments({ filename: '伪造.png' });
    expect(stored).toBe(0);
  });

  it('urlencoded start forms still work (no files)', async () => {
    const { agent, csrf } = await signIn('grid-worker');
    const res = await agent.post('/start/grid-event').type('form').send({ _csrf: csrf, businessKey: 'WG-SU-010', ...EVENT });
    expect(res.status).toBe(303);
    expect(await instancesByKey('WG-SU-010')).toHaveLength(1);
  });
});
