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

export async function compileSource(xml: string): Promise<SourceContext> {
  const moddle = new BpmnModdle({ camunda: camundaSchema });
  const context = await moddle.fromXML(xml);
  return serializer(context as never, typeResolver());
}
