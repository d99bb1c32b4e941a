// A new, empty executable process: one start event, Camunda namespace declared.

/** Process keys are XML ids (NCName); keep them to ASCII letters, digits, `_`, `-` and `.`. */
export const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const escapeXml = (s) => String(s)
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * @param {string} key process id = process definition key
 * @param {string} name Chinese name of the process
 */
export function newDiagramXml(key, name) {
  if (!KEY_PATTERN.test(key)) throw new Error('流程标识只能包含英文字母、数字、下划线、连字符和点，并以字母或下划线开头');
  const k = escapeXml(key);
  const n = escapeXml(name || key);
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_${k}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${k}" name="${n}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" name="开始" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="${k}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="180" y="160" width="36" height="36" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="186" y="203" width="24" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}

/**
 * The process key of a diagram: the id of its executable process (the first process if none is
 * marked executable), looking through a collaboration's participants too.
 *
 * @param {object} definitions bpmn:Definitions moddle element
 * @returns {{ key: string, name: string } | null}
 */
export function processOf(definitions) {
  if (!definitions) return null;
  const processes = (definitions.rootElements || []).filter((e) => e.$instanceOf && e.$instanceOf('bpmn:Process'));
  const main = processes.find((p) => p.isExecutable) || processes[0];
  if (!main) return null;
  let name = main.name || '';
  if (!name) {
    for (const c of (definitions.rootElements || []).filter((e) => e.$instanceOf('bpmn:Collaboration'))) {
      const participant = (c.participants || []).find((p) => p.processRef === main);
      if (participant && participant.name) name = participant.name;
    }
  }
  return { key: main.id, name };
}
