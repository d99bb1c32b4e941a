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
