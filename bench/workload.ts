/**
 * The reference workload of `npm run bench`: a start form, three sequential user tasks, an exclusive gateway with
 * a FEEL condition and a three-expert parallel multi-instance sign-off. Also the small processes chaos uses.
 */

const NS = `xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`;

interface Node {
  id: string;
  kind: 'event' | 'task' | 'gateway';
}

/** DI for a left-to-right chain of shapes and the given flows (straight lines between shape centres). */
function diagram(processId: string, nodes: Node[], flows: { id: string; from: string; to: string }[]): string {
  const pos = new Map<string, { x: number; y: number; w: number; h: number }>();
  nodes.forEach((n, i) => {
    const x = 100 + i * 150;
    if (n.kind === 'event') pos.set(n.id, { x, y: 100, w: 36, h: 36 });
    else if (n.kind === 'gateway') pos.set(n.id, { x, y: 93, w: 50, h: 50 });
    else pos.set(n.id, { x, y: 78, w: 100, h: 80 });
  });
  const shapes = nodes
    .map((n) => {
      const p = pos.get(n.id)!;
      const marker = n.kind === 'gateway' ? ' isMarkerVisible="true"' : '';
      return `<bpmndi:BPMNShape id="s_${n.id}" bpmnElement="${n.id}"${marker}><dc:Bounds x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" /></bpmndi:BPMNShape>`;
    })
    .join('\n    ');
  const edges = flows
    .map((f) => {
      const a = pos.get(f.from)!;
      const b = pos.get(f.to)!;
      if (b.x <= a.x) {
        return `<bpmndi:BPMNEdge id="e_${f.id}" bpmnElement="${f.id}"><di:waypoint x="${a.x + a.w / 2}" y="${a.y}" /><di:waypoint x="${a.x + a.w / 2}" y="30" /><di:waypoint x="${b.x + b.w / 2}" y="30" /><di:waypoint x="${b.x + b.w / 2}" y="${b.y}" /></bpmndi:BPMNEdge>`;
      }
      return `<bpmndi:BPMNEdge id="e_${f.id}" bpmnElement="${f.id}"><di:waypoint x="${a.x + a.w}" y="118" /><di:waypoint x="${b.x}" y="118" /></bpmndi:BPMNEdge>`;
    })
    .join('\n    ');
  return `<bpmndi:BPMNDiagram id="dia_${processId}"><bpmndi:BPMNPlane id="plane_${processId}" bpmnElement="${processId}">
    ${shapes}
    ${edges}
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>`;
}

export const WORKLOAD_KEY = 'bench-review';
export const EXPERTS = ['expert1', 'expert2', 'expert3'];

export const workloadXml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="bench-defs" targetNamespace="http://example.org/bench">
  <bpmn:process id="${WORKLOAD_KEY}" name="基准评审" isExecutable="true">
    <bpmn:startEvent id="start" name="申请">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="title" label="项目名称" type="string"><camunda:validation><camunda:constraint name="required" /><camunda:constraint name="maxlength" config="200" /></camunda:validation></camunda:formField>
        <camunda:formField id="amount" label="金额" type="long"><camunda:validation><camunda:constraint name="required" /><camunda:constraint name="min" config="0" /></camunda:validation></camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t1" />
    <bpmn:userTask id="t1" name="受理" camunda:candidateGroups="street-office">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="note" label="受理意见" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="t2" />
    <bpmn:userTask id="t2" name="初审" camunda:candidateGroups="street-office">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="score" label="得分" type="long"><camunda:validation><camunda:constraint name="required" /><camunda:constraint name="min" config="0" /><camunda:constraint name="max" config="100" /></camunda:validation></camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="t2" targetRef="t3" />
    <bpmn:userTask id="t3" name="复核" camunda:candidateGroups="street-office">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="confirmed" label="已复核" type="boolean" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="t3" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" name="得分合格？" default="fail">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>pass</bpmn:outgoing><bpmn:outgoing>fail</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="pass" name="合格" sourceRef="gw" targetRef="panel"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${score &gt;= 60}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fail" name="不合格" sourceRef="gw" targetRef="endNo" />
    <bpmn:userTask id="panel" name="专家会签" camunda:assignee="\${expert}">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="decision" label="审批结论" type="enum">
          <camunda:validation><camunda:constraint name="required" /></camunda:validation>
          <camunda:value id="approve" name="通过" /><camunda:value id="reject" name="不通过" />
        </camunda:formField>
        <camunda:formField id="opinion" label="审批意见" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>pass</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="\${[&quot;expert1&quot;, &quot;expert2&quot;, &quot;expert3&quot;]}" camunda:elementVariable="expert" />
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f5" sourceRef="panel" targetRef="endOk" />
    <bpmn:endEvent id="endOk" name="通过"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="endNo" name="不通过"><bpmn:incoming>fail</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  ${diagram(
    WORKLOAD_KEY,
    [
      { id: 'start', kind: 'event' },
      { id: 't1', kind: 'task' },
      { id: 't2', kind: 'task' },
      { id: 't3', kind: 'task' },
      { id: 'gw', kind: 'gateway' },
      { id: 'panel', kind: 'task' },
      { id: 'endOk', kind: 'event' },
      { id: 'endNo', kind: 'event' },
    ],
    [
      { id: 'f1', from: 'start', to: 't1' },
      { id: 'f2', from: 't1', to: 't2' },
      { id: 'f3', from: 't2', to: 't3' },
      { id: 'f4', from: 't3', to: 'gw' },
      { id: 'pass', from: 'gw', to: 'panel' },
      { id: 'fail', from: 'gw', to: 'endNo' },
      { id: 'f5', from: 'panel', to: 'endOk' },
    ],
  )}
</bpmn:definitions>`;

/** The values submitted at each element of the workload; `score` comes from the seeded generator. */
export function valuesFor(elementId: string, score: number): Record<string, unknown> {
  switch (elementId) {
    case 't1':
      return { note: '材料齐全' };
    case 't2':
      return { score };
    case 't3':
      return { confirmed: true };
    case 'panel':
      return { decision: 'approve', opinion: '' };
    default:
      return {};
  }
}

export const startValues = (n: number) => ({ title: `基准项目 ${n}`, amount: 1000 + n });

/** A loop of one user task (like test/crash.test.ts): runs forever, for kills under load and state growth. */
export const LOOP_KEY = 'bench-loop';
export const loopXml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="loop-defs" targetNamespace="http://example.org/bench">
  <bpmn:process id="${LOOP_KEY}" name="反复办理" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:userTask id="work" name="办理" camunda:candidateGroups="street-office">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="round" label="轮次" type="long"><camunda:validation><camunda:constraint name="required" /></camunda:validation></camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>again</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" name="继续？" default="done"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>done</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="again" name="继续" sourceRef="gw" targetRef="work"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${round &lt; 1000000}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="done" name="结束" sourceRef="gw" targetRef="end" />
    <bpmn:endEvent id="end" name="结束"><bpmn:incoming>done</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  ${diagram(
    LOOP_KEY,
    [
      { id: 'start', kind: 'event' },
      { id: 'work', kind: 'task' },
      { id: 'gw', kind: 'gateway' },
      { id: 'end', kind: 'event' },
    ],
    [
      { id: 'f1', from: 'start', to: 'work' },
      { id: 'f2', from: 'work', to: 'gw' },
      { id: 'again', from: 'gw', to: 'work' },
      { id: 'done', from: 'gw', to: 'end' },
    ],
  )}
</bpmn:definitions>`;

/** Start → timer (duration given) → a user task: timers that must fire exactly once. */
export const TIMER_KEY = 'bench-timer';
export const timerXml = (duration: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="timer-defs" targetNamespace="http://example.org/bench">
  <bpmn:process id="${TIMER_KEY}" name="定时办理" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait" name="等待">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">${duration}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="after" />
    <bpmn:userTask id="after" name="到期办理" camunda:candidateGroups="street-office">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="note" label="办理意见" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end" />
    <bpmn:endEvent id="end" name="结束"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  ${diagram(
    TIMER_KEY,
    [
      { id: 'start', kind: 'event' },
      { id: 'wait', kind: 'event' },
      { id: 'after', kind: 'task' },
      { id: 'end', kind: 'event' },
    ],
    [
      { id: 'f1', from: 'start', to: 'wait' },
      { id: 'f2', from: 'wait', to: 'after' },
      { id: 'f3', from: 'after', to: 'end' },
    ],
  )}
</bpmn:definitions>`;
