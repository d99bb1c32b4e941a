import { BpmnModdle } from 'bpmn-moddle';
import * as Elements from 'bpmn-elements';
import serializer, { TypeResolver } from 'moddle-context-serializer';
import { ClockTimerEventDefinition } from './clock-timer.js';
import camundaSchema from 'camunda-bpmn-moddle/resources/camunda.json' with { type: 'json' };

/**
 * Turns BPMN XML into the serialized moddle context bpmn-engine runs from. Done once per deployed version and
 * cached by the runtime, so that a step never parses XML.
 */
export type SourceContext = unknown;

export function typeResolver() {
  return TypeResolver({ ...(Elements as Record<string, unknown>), TimerEventDefinition: ClockTimerEventDefinition });
}

export interface CompiledSource {
  sourceContext: SourceContext;
  /** Multi-instance activities' `camunda:elementVariable`, by activity id. */
  elementVariables: Map<string, string>;
  /** `camunda:candidateStarterGroups` of the executable process: who may start it (empty: anyone signed in). */
  starterGroups: string[];
  /** `camunda:property caseUnitKind` on the process: the kinds of unit its cases must belong to (e.g. community). */
  caseUnitKinds: string[];
  /** `camunda:initiator` of the process's start event: the variable that holds who started the instance. */
  initiatorVariable: string | null;
}

export async function compileSource(xml: string): Promise<CompiledSource> {
  const moddle = new BpmnModdle({ camunda: camundaSchema });
  const context = await moddle.fromXML(xml);
  const elementVariables = new Map<string, string>();
  for (const element of Object.values(context.elementsById)) {
    const loop = element.loopCharacteristics;
    const name = loop?.elementVariable ?? loop?.$attrs?.['camunda:elementVariable'];
    if (element.id && typeof name === 'string' && name) elementVariables.set(element.id, name);
  }
  const process = (context.rootElement.rootElements ?? []).find(
    (e: { $type: string; isExecutable?: boolean }) => e.$type === 'bpmn:Process' && e.isExecutable,
  );
  const starters = process?.candidateStarterGroups ?? process?.$attrs?.['camunda:candidateStarterGroups'] ?? '';
  const starterGroups = String(starters)
    .split(',')
    .map((g: string) => g.trim())
    .filter(Boolean);
  const start = (process?.flowElements ?? []).find((e: { $type: string }) => e.$type === 'bpmn:StartEvent');
  const initiator = start?.initiator ?? start?.$attrs?.['camunda:initiator'];
  const initiatorVariable = typeof initiator === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(initiator.trim()) ? initiator.trim() : null;
  const properties = (process?.extensionElements?.values ?? []).find((v: { $type: string }) => v.$type === 'camunda:Properties');
  const kinds = (properties?.values ?? []).find((p: { name?: string }) => p.name === 'caseUnitKind')?.value ?? '';
  const caseUnitKinds = String(kinds)
    .split(',')
    .map((k: string) => k.trim())
    .filter(Boolean);
  return { sourceContext: serializer(context as never, typeResolver()), elementVariables, starterGroups, initiatorVariable, caseUnitKinds };
}
