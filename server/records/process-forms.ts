import { parseBpmn, type ModdleElement } from '../bpmn/moddle.js';
import { extractFormSchema, type FormField } from '../forms/schema.js';
import type { RuntimeApi } from '../runtime/api.js';

/** The fields of a version's forms: its start form, and every user task's in the order the diagram lists them. */
export interface ProcessForms {
  start: FormField[];
  tasks: FormField[];
}

const CACHE_LIMIT = 50;

/** Reads the forms of deployed versions from their XML, once per version (versions never change). */
export class ProcessFormsReader {
  private readonly cache = new Map<string, Promise<ProcessForms>>();

  constructor(private readonly runtime: Pick<RuntimeApi, 'getDefinition'>) {}

  forms(processKey: string, version: number): Promise<ProcessForms> {
    const id = `${processKey}:${version}`;
    let entry = this.cache.get(id);
    if (!entry) {
      entry = this.read(processKey, version);
      entry.catch(() => this.cache.delete(id));
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(id, entry);
    }
    return entry;
  }

  private async read(processKey: string, version: number): Promise<ProcessForms> {
    const definition = await this.runtime.getDefinition(processKey, version);
    const parsed = await parseBpmn(definition.xml);
    const start: FormField[] = [];
    const tasks: FormField[] = [];
    for (const element of Object.values(parsed.elementsById) as ModdleElement[]) {
      const type = element?.$type;
      if (type !== 'bpmn:StartEvent' && type !== 'bpmn:UserTask') continue;
      const form = extractFormSchema(element);
      if (!form) continue;
      // A start event inside a sub-process has no form people fill in at the start.
      if (type === 'bpmn:StartEvent' && element.$parent?.$type === 'bpmn:Process') start.push(...form.fields);
      else if (type === 'bpmn:UserTask') tasks.push(...form.fields);
    }
    return { start, tasks };
  }
}
