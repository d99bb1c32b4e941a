import { describe } from 'bpmnlint-plugin-platform/lib/model.js';
import { isExpression } from '../expressions/feel.js';
import { extractFormSchema, formSchemaProblems, type FormSchema } from '../forms/schema.js';
import { lintBpmn } from './lint.js';
import { parseBpmn, type ModdleElement } from './moddle.js';
import { isError, type Problem } from './problem.js';
import { checkXmlSafety } from './xml-safety.js';

export type { Problem } from './problem.js';

/**
 * Deploy-time check of a BPMN 2.0 file, in order:
 *  1. XML safety (size, no DOCTYPE/ENTITY, well-formed, depth and element limits) — server/bpmn/xml-safety.ts;
 *  2. bpmn-moddle + camunda-bpmn-moddle; every moddle warning is a problem — server/bpmn/moddle.ts;
 *  3. bpmnlint with `.bpmnlintrc` (in a worker thread, see server/bpmn/lint.ts) (bpmnlint:recommended + plugin:platform/recommended: no script tasks, FEEL only,
 *     every `${…}` parses, user tasks assigned and with a form, external service tasks, ISO 8601 timers and due
 *     dates) — server/bpmn/lint.ts;
 *  4. platform checks on the model: exactly one executable process with a usable key, form schemas
 *     (server/forms/schema.ts), service task topics known to the registry, input parameters and priorities.
 * Stages 1 and 2 stop the check when they find problems; 3 and 4 are reported together.
 */

export interface UserTaskModel {
  id: string;
  name: string;
  /** Group ids from the comma-separated list; a `${FEEL}` value is kept whole as the only entry. */
  candidateGroups: string[];
  candidateUsers: string[];
  /** Literal user id or `${FEEL}`. */
  assignee: string | null;
  /** ISO date/date-time, ISO duration from task creation, or `${FEEL}` giving either. */
  dueDate: string | null;
  /** A literal priority as a number, a `${FEEL}` priority as written. */
  priority: number | string | null;
  form: FormSchema | null;
  documentation: string | null;
  multiInstance: boolean;
  /**
   * `<camunda:property name="distinctPerformers" value="true" />`: the iterations of this multi-instance task
   * within one sub-process iteration must each be done by a different person (independent expert scores).
   */
  distinctPerformers?: boolean;
  /** `<camunda:property name="cc" value="street-office,…" />`: roles a completed task is copied to (抄送), in the case's unit. */
  cc?: string[];
  /** Directly in the process, not inside a sub-process: a step a case may be returned to (退回). */
  topLevel?: boolean;
}

export interface ServiceTaskModel {
  id: string;
  name: string;
  topic: string;
  /** Input parameter name → literal text or `${FEEL}`. */
  inputs: Record<string, string>;
}

export interface ParsedProcessModel {
  /** The executable process's id: the process key. */
  key: string;
  /** The executable process's name (its id when it has none): the display name. */
  name: string;
  definitionsId: string;
  xml: string;
  userTasks: Map<string, UserTaskModel>;
  /** The form of the process's blank start event, if it has one. */
  startForm: FormSchema | null;
  serviceTasks: Map<string, ServiceTaskModel>;
  /** `bpmn:documentation` text by element id (first line: the policy citation). */
  documentation: Map<string, string>;
}

export type DeploymentCheck =
  | { ok: true; model: ParsedProcessModel; warnings: Problem[] }
  | { ok: false; problems: Problem[] };

/** Process keys appear in URLs and database keys. */
export const PROCESS_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/;

function is(element: ModdleElement, type: string): boolean {
  return !!element && typeof element.$instanceOf === 'function' && element.$instanceOf(type);
}

function extensions(element: ModdleElement, type: string): ModdleElement[] {
  return (element?.extensionElements?.values ?? []).filter((value: ModdleElement) => is(value, type));
}

/** `<camunda:properties><camunda:property name value>` directly on an element (not a form field's). */
function taskProperty(element: ModdleElement, name: string): string | null {
  for (const properties of extensions(element, 'camunda:Properties')) {
    const found = (properties.values ?? []).find((p: ModdleElement) => p?.name === name);
    if (found) return str(found.value);
  }
  return null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function list(value: unknown): string[] {
  const text = str(value);
  if (!text) return [];
  if (isExpression(text as unknown)) return [text];
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

function documentationOf(element: ModdleElement): string | null {
  // Elements of other namespaces (DMN inside a Trisotech file, say) may carry a `documentation` that is no list.
  const texts = (Array.isArray(element?.documentation) ? element.documentation : [])
    .map((doc: ModdleElement) => (typeof doc.text === 'string' ? doc.text.trim() : ''))
    .filter(Boolean);
  return texts.length ? texts.join('\n') : null;
}

function label(element: ModdleElement): string {
  return describe(element);
}

/** All flow elements of a process, sub-processes included, without recursion. */
function flowElements(process: ModdleElement): ModdleElement[] {
  const out: ModdleElement[] = [];
  const stack: ModdleElement[] = [...(process.flowElements ?? [])];
  while (stack.length) {
    const element = stack.pop();
    out.push(element);
    if (is(element, 'bpmn:SubProcess')) stack.push(...(element.flowElements ?? []));
  }
  return out;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.code}\u0000${problem.elementId ?? ''}\u0000${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Most problems listed in one answer; a diagram without any DI would otherwise list thousands. */
export const MAX_PROBLEMS = 200;

function finish(problems: Problem[]): { ok: false; problems: Problem[] } {
  const unique = dedupe(problems);
  const ordered = [...unique.filter(isError), ...unique.filter((problem) => !isError(problem))];
  if (ordered.length <= MAX_PROBLEMS) return { ok: false, problems: ordered };
  const errors = ordered.filter(isError).length;
  return {
    ok: false,
    problems: [
      ...ordered.slice(0, MAX_PROBLEMS),
      {
        code: 'problems/truncated',
        message: `共有 ${ordered.length} 个问题（其中 ${errors} 个错误），只列出前 ${MAX_PROBLEMS} 个`,
      },
    ],
  };
}

export async function validateDeployment(xml: string, knownTopics?: Set<string>): Promise<DeploymentCheck> {
  const safety = checkXmlSafety(xml);
  if (safety.length) return finish(safety);

  const parsed = await parseBpmn(xml);
  if (!parsed.definitions || parsed.warnings.length) return finish(parsed.warnings);
  const definitions = parsed.definitions;

  const problems: Problem[] = await lintBpmn(xml);

  const processes: ModdleElement[] = (definitions.rootElements ?? []).filter((element: ModdleElement) => is(element, 'bpmn:Process'));
  const executable = processes.filter((process) => process.isExecutable === true);
  if (executable.length === 0) {
    problems.push({
      code: 'bpmn/no-executable-process',
      message: '文件中没有可执行的流程：请在要运行的流程上设置 isExecutable="true"',
    });
    return finish(problems);
  }
  if (executable.length > 1) {
    problems.push({
      code: 'bpmn/multiple-executable-processes',
      message: `一个文件只能有一个可执行的流程，现有 ${executable.length} 个：${executable.map((p) => p.id).join('、')}`,
    });
    return finish(problems);
  }

  const process = executable[0];
  const key: string = process.id ?? '';
  if (!PROCESS_KEY.test(key)) {
    problems.push({
      code: 'bpmn/invalid-process-key',
      message: `流程标识“${key}”不能用作流程键：只能使用字母、数字、“_”“-”“.”，以字母或“_”开头，最多 100 个字符`,
      elementId: key || undefined,
    });
  }

  const userTasks = new Map<string, UserTaskModel>();
  const serviceTasks = new Map<string, ServiceTaskModel>();
  const documentation = new Map<string, string>();
  let startForm: FormSchema | null = null;

  const formProblems = (element: ModdleElement, form: FormSchema) => {
    for (const message of formSchemaProblems(form)) {
      problems.push({ code: 'form/invalid', message: `${label(element)}的表单：${message}`, elementId: element.id });
    }
  };

  for (const element of Object.values(parsed.elementsById)) {
    const text = documentationOf(element);
    if (text && typeof element.id === 'string') documentation.set(element.id, text);
  }

  for (const element of flowElements(process)) {
    if (is(element, 'bpmn:UserTask')) {
      const form = extractFormSchema(element);
      if (form) formProblems(element, form);
      let priority: number | string | null = null;
      const rawPriority = str(element.priority);
      if (rawPriority && isExpression(rawPriority)) priority = rawPriority;
      else if (rawPriority) {
        if (/^[+-]?\d{1,9}$/.test(rawPriority)) priority = Number(rawPriority);
        else {
          problems.push({
            code: 'bpmn/invalid-priority',
            message: `${label(element)}的优先级（camunda:priority）“${rawPriority}”必须是整数或 \${FEEL}`,
            elementId: element.id,
          });
        }
      }
      userTasks.set(element.id, {
        id: element.id,
        name: str(element.name) ?? element.id,
        candidateGroups: list(element.candidateGroups),
        candidateUsers: list(element.candidateUsers),
        assignee: str(element.assignee),
        dueDate: str(element.dueDate),
        priority,
        form,
        documentation: documentationOf(element),
        multiInstance: is(element.loopCharacteristics, 'bpmn:MultiInstanceLoopCharacteristics'),
        distinctPerformers: taskProperty(element, 'distinctPerformers') === 'true',
        cc: list(taskProperty(element, 'cc') ?? undefined),
        topLevel: (process.flowElements ?? []).includes(element),
      });
    } else if (is(element, 'bpmn:StartEvent')) {
      const form = extractFormSchema(element);
      if (!form) continue;
      formProblems(element, form);
      const blank = !(element.eventDefinitions ?? []).length;
      if (blank && element.$parent === process && !startForm) startForm = form;
    } else if (is(element, 'bpmn:ServiceTask')) {
      const topic = str(element.topic) ?? '';
      const inputs: Record<string, string> = {};
      for (const io of extensions(element, 'camunda:InputOutput')) {
        for (const parameter of io.inputParameters ?? []) {
          const name = str(parameter.name);
          if (!name || name === '__proto__' || name === 'constructor' || name === 'prototype') {
            problems.push({ code: 'bpmn/invalid-input', message: `${label(element)}有输入参数缺少有效的名称`, elementId: element.id });
            continue;
          }
          if (parameter.definition) {
            if (!is(parameter.definition, 'camunda:Script')) {
              problems.push({
                code: 'bpmn/invalid-input',
                message: `${label(element)}的输入参数“${name}”只能是文本或 \${FEEL}（不支持列表、映射）`,
                elementId: element.id,
              });
            }
            continue;
          }
          if (Object.prototype.hasOwnProperty.call(inputs, name)) {
            problems.push({ code: 'bpmn/invalid-input', message: `${label(element)}的输入参数“${name}”重复`, elementId: element.id });
          }
          inputs[name] = typeof parameter.value === 'string' ? parameter.value : '';
        }
      }
      if (topic && knownTopics && !knownTopics.has(topic)) {
        const available = [...knownTopics].sort().join('、') || '（无）';
        problems.push({
          code: 'bpmn/unknown-topic',
          message: `${label(element)}的处理程序“${topic}”不存在；可用的处理程序：${available}`,
          elementId: element.id,
        });
      }
      serviceTasks.set(element.id, { id: element.id, name: str(element.name) ?? element.id, topic, inputs });
    }
  }

  if (problems.some(isError)) return finish(problems);
  return {
    ok: true,
    warnings: dedupe(problems),
    model: {
      key,
      name: str(process.name) ?? key,
      definitionsId: typeof definitions.id === 'string' ? definitions.id : '',
      xml,
      userTasks,
      startForm,
      serviceTasks,
      documentation,
    },
  };
}
