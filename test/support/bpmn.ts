/** Test diagrams: a straight line of elements with a diagram (bpmnlint refuses diagrams without one). */

export const NS = `xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`;

export interface Node {
  id: string;
  xml: string;
  event?: boolean;
}

/** A straight line of elements with a diagram (bpmnlint refuses diagrams without one). */
export function linearProcess(key: string, name: string, nodes: Node[]): string {
  const flows: string[] = [];
  const body = nodes.map((n, i) => {
    const incoming = i > 0 ? `<bpmn:incoming>f${i}</bpmn:incoming>` : '';
    const outgoing = i < nodes.length - 1 ? `<bpmn:outgoing>f${i + 1}</bpmn:outgoing>` : '';
    if (i < nodes.length - 1) flows.push(`<bpmn:sequenceFlow id="f${i + 1}" sourceRef="${n.id}" targetRef="${nodes[i + 1]!.id}" />`);
    return n.xml.replace('<!--flows-->', incoming + outgoing);
  });
  const shapes = nodes.map((n, i) => {
    const x = 100 + i * 160;
    return n.event
      ? `<bpmndi:BPMNShape id="s_${n.id}" bpmnElement="${n.id}"><dc:Bounds x="${x}" y="100" width="36" height="36" /></bpmndi:BPMNShape>`
      : `<bpmndi:BPMNShape id="s_${n.id}" bpmnElement="${n.id}"><dc:Bounds x="${x}" y="78" width="100" height="80" /></bpmndi:BPMNShape>`;
  });
  const edges = nodes.slice(1).map((_n, i) => {
    const x = 100 + i * 160;
    return `<bpmndi:BPMNEdge id="e_f${i + 1}" bpmnElement="f${i + 1}"><di:waypoint x="${x + 100}" y="118" /><di:waypoint x="${x + 160}" y="118" /></bpmndi:BPMNEdge>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="defs_${key}" targetNamespace="http://example.org/test">
  <bpmn:process id="${key}" name="${name}" isExecutable="true">
    ${body.join('\n    ')}
    ${flows.join('\n    ')}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="${key}">
    ${shapes.join('\n    ')}
    ${edges.join('\n    ')}
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;
}

/**
 * A multi-instance embedded sub-process with its own variables per iteration: one review track per team of
 * `${teams}` (element variable `team`, `{ name, due }`), each reviewed by `reviewers`, approved tracks scored by
 * the service topic `test-score`, then a closing task `wrapUp` after all tracks. Key `scoped_review`.
 */
export function scopedReviewProcess(): string {
  const approval = `<camunda:formData>
            <camunda:formField id="teamName" label="小组" type="string" defaultValue="\${team.name}"><camunda:validation><camunda:constraint name="readonly" /></camunda:validation></camunda:formField>
            <camunda:formField id="decision" label="结论" type="enum"><camunda:validation><camunda:constraint name="required" /></camunda:validation><camunda:value id="approve" name="通过" /><camunda:value id="reject" name="不通过" /></camunda:formField>
            <camunda:formField id="opinion" label="意见" type="string" />
          </camunda:formData>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="defs_scoped_review" targetNamespace="http://example.org/test">
  <bpmn:process id="scoped_review" name="分组评审" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="track" />
    <bpmn:subProcess id="track" name="每个小组一条线">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="\${teams}" camunda:elementVariable="team" />
      <bpmn:startEvent id="trackStart" name="小组开始"><bpmn:outgoing>t1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:sequenceFlow id="t1" sourceRef="trackStart" targetRef="review" />
      <bpmn:userTask id="review" name="小组评审" camunda:candidateGroups="reviewers" camunda:dueDate="\${team.due}">
        <bpmn:extensionElements>${approval}</bpmn:extensionElements>
        <bpmn:incoming>t1</bpmn:incoming><bpmn:outgoing>t2</bpmn:outgoing>
      </bpmn:userTask>
      <bpmn:sequenceFlow id="t2" sourceRef="review" targetRef="decided" />
      <bpmn:exclusiveGateway id="decided" name="结论？"><bpmn:incoming>t2</bpmn:incoming><bpmn:outgoing>t3</bpmn:outgoing><bpmn:outgoing>t4</bpmn:outgoing></bpmn:exclusiveGateway>
      <bpmn:sequenceFlow id="t3" name="通过" sourceRef="decided" targetRef="score"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${decision = "approve"}</bpmn:conditionExpression></bpmn:sequenceFlow>
      <bpmn:sequenceFlow id="t4" name="不通过" sourceRef="decided" targetRef="trackRejected"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${decision = "reject"}</bpmn:conditionExpression></bpmn:sequenceFlow>
      <bpmn:serviceTask id="score" name="计分" camunda:type="external" camunda:topic="test-score">
        <bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="teamName">\${team.name}</camunda:inputParameter><camunda:inputParameter name="decision">\${decision}</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>
        <bpmn:incoming>t3</bpmn:incoming><bpmn:outgoing>t5</bpmn:outgoing>
      </bpmn:serviceTask>
      <bpmn:sequenceFlow id="t5" sourceRef="score" targetRef="trackDone" />
      <bpmn:endEvent id="trackDone" name="小组完成"><bpmn:incoming>t5</bpmn:incoming></bpmn:endEvent>
      <bpmn:endEvent id="trackRejected" name="小组未通过"><bpmn:incoming>t4</bpmn:incoming></bpmn:endEvent>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f2" sourceRef="track" targetRef="wrapUp" />
    <bpmn:userTask id="wrapUp" name="汇总" camunda:candidateGroups="reviewers">
      <bpmn:extensionElements><camunda:formData><camunda:formField id="note" label="说明" type="string" /></camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="wrapUp" targetRef="end" />
    <bpmn:endEvent id="end" name="结束"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="scoped_review">
    <bpmndi:BPMNShape id="s_start" bpmnElement="start"><dc:Bounds x="100" y="200" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_track" bpmnElement="track" isExpanded="true"><dc:Bounds x="180" y="80" width="700" height="280" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_trackStart" bpmnElement="trackStart"><dc:Bounds x="210" y="200" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_review" bpmnElement="review"><dc:Bounds x="290" y="178" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_decided" bpmnElement="decided" isMarkerVisible="true"><dc:Bounds x="440" y="193" width="50" height="50" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_score" bpmnElement="score"><dc:Bounds x="540" y="178" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_trackDone" bpmnElement="trackDone"><dc:Bounds x="700" y="200" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_trackRejected" bpmnElement="trackRejected"><dc:Bounds x="700" y="290" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_wrapUp" bpmnElement="wrapUp"><dc:Bounds x="930" y="178" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_end" bpmnElement="end"><dc:Bounds x="1080" y="200" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e_f1" bpmnElement="f1"><di:waypoint x="136" y="218" /><di:waypoint x="180" y="218" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_t1" bpmnElement="t1"><di:waypoint x="246" y="218" /><di:waypoint x="290" y="218" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_t2" bpmnElement="t2"><di:waypoint x="390" y="218" /><di:waypoint x="440" y="218" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_t3" bpmnElement="t3"><di:waypoint x="490" y="218" /><di:waypoint x="540" y="218" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_t4" bpmnElement="t4"><di:waypoint x="465" y="243" /><di:waypoint x="465" y="308" /><di:waypoint x="700" y="308" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_t5" bpmnElement="t5"><di:waypoint x="640" y="218" /><di:waypoint x="700" y="218" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_f2" bpmnElement="f2"><di:waypoint x="880" y="218" /><di:waypoint x="930" y="218" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e_f3" bpmnElement="f3"><di:waypoint x="1030" y="218" /><di:waypoint x="1080" y="218" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;
}
