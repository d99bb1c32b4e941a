import { isExpression, platformForm } from '../expressions/feel.js';
import { rewriteExpression } from './expression-convert.js';
import { CAMUNDA_URI, formDataElement, readCamundaForm, readFormProperties, type FormReading } from './import-forms.js';
import { BPMN_MODEL_NS } from './xml-safety.js';
import {
  allElements,
  appendChild,
  attribute,
  createElement,
  elementChildren,
  ensurePrefix,
  namespaceDeclarations,
  namespaceOf,
  parseXml,
  removeAttribute,
  removeChild,
  serializeXml,
  setAttribute,
  setText,
  textOf,
  usesNamespace,
  type XmlAttribute,
  type XmlDocument,
  type XmlElement,
} from './xml-tree.js';

/**
 * Diagrams from other tools, converted to the platform's own writing (docs/ARCHITECTURE.md, "Conventions inside
 * BPMN files") where the meaning is the same, with a report of what was converted and what was dropped:
 *  - Camunda 8 (zeebe): assignment (assignee, candidate groups and users), due and follow-up dates, priority,
 *    embedded Camunda Forms, job types of service tasks (as external topics) and their input mappings,
 *    multi-instance collections; `=FEEL` becomes `${FEEL}`;
 *  - Flowable and Activiti: assignment, due date, priority, `formProperty` forms, initiator, starter groups,
 *    multi-instance collections, external-worker topics;
 *  - Camunda 7 and the others: JUEL and the BPMN specification's XPath in conditions rewritten as FEEL, conditions
 *    in an explicit FEEL language wrapped as `${…}`, a default expression language no expression relies on any
 *    more removed, the one process with content marked executable when the file marks none, optional references
 *    to another tool's placeholders (e.g. `triso:unspecified`) removed.
 * Everything else of the zeebe, Flowable and Activiti namespaces has no counterpart here and is dropped, so that no
 * instruction of another engine lingers in a deployed diagram looking as if it were followed.
 *
 * Only call with text that passed checkXmlSafety (server/bpmn/xml-safety.ts). A document that needs no change is
 * returned as it was, byte for byte.
 */

export const ZEEBE_URI = 'http://camunda.org/schema/zeebe/1.0';
export const FLOWABLE_URI = 'http://flowable.org/bpmn';
export const ACTIVITI_URI = 'http://activiti.org/bpmn';

export type Dialect = 'camunda8' | 'flowable' | 'activiti' | 'camunda7' | 'bpmn';

export const DIALECT_NAMES: Record<Dialect, string> = {
  camunda8: 'Camunda 8',
  flowable: 'Flowable',
  activiti: 'Activiti',
  camunda7: 'Camunda 7',
  bpmn: 'BPMN',
};

export interface ConversionItem {
  dialect: Dialect;
  /** The BPMN element concerned, when there is one. */
  elementId?: string;
  /** What the file said, as written (e.g. `zeebe:assignmentDefinition candidateGroups="clerks"`). */
  from: string;
  /** What it became (e.g. `camunda:candidateGroups="clerks"`); absent for what was dropped. */
  to?: string;
  /** One Chinese sentence for the administrator. */
  message: string;
}

export interface ConversionReport {
  converted: ConversionItem[];
  dropped: ConversionItem[];
}

const DIALECT_OF: Record<string, Dialect> = { [ZEEBE_URI]: 'camunda8', [FLOWABLE_URI]: 'flowable', [ACTIVITI_URI]: 'activiti' };

/** Camunda 7 attributes of a user task that may hold an expression. */
const TASK_EXPRESSION_ATTRIBUTES = ['assignee', 'candidateUsers', 'candidateGroups', 'dueDate', 'followUpDate', 'priority'];

/** Flowable/Activiti attributes that mean what the Camunda 7 attribute of the same name means. */
const SAME_MEANING: Record<string, string[]> = {
  userTask: ['assignee', 'candidateUsers', 'candidateGroups', 'dueDate', 'priority'],
  startEvent: ['initiator'],
  process: ['candidateStarterGroups'],
  multiInstanceLoopCharacteristics: ['collection', 'elementVariable'],
};

/** Formal expressions and whether a literal in them is an ISO timer value rather than an expression. */
const FORMAL_EXPRESSIONS: Record<string, 'condition' | 'timer'> = {
  conditionExpression: 'condition',
  completionCondition: 'condition',
  loopCardinality: 'condition',
  condition: 'condition',
  timeDate: 'timer',
  timeDuration: 'timer',
  timeCycle: 'timer',
};

/**
 * References moddle resolves that a file may leave out; a dangling required one (sourceRef, processRef…) stays an
 * error to fix.
 */
const OPTIONAL_REFERENCES = new Set(['inMessageRef', 'outMessageRef', 'messageRef', 'errorRef', 'signalRef', 'escalationRef', 'operationRef']);

const FLOW_NODES = /Task$|Event$|Gateway$|^subProcess$|^callActivity$|^transaction$|^adHocSubProcess$/;

function written(element: XmlElement, a?: XmlAttribute): string {
  const name = (prefix: string | null, local: string) => (prefix ? `${prefix}:${local}` : local);
  if (!a) return name(element.prefix, element.local);
  return `${name(a.prefix, a.local)}="${a.value.length > 80 ? `${a.value.slice(0, 80)}…` : a.value}"`;
}

function shorten(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

class Converter {
  readonly report: ConversionReport = { converted: [], dropped: [] };
  private changed = false;
  private readonly root: XmlElement;
  private readonly forms = new Map<string, XmlElement>();
  private readonly usedForms = new Set<XmlElement>();
  private readonly ids = new Set<string>();

  constructor(private readonly doc: XmlDocument) {
    this.root = doc.root;
    for (const element of allElements(this.root)) {
      const id = attribute(element, 'id')?.value;
      if (id) this.ids.add(id);
      if (element.uri === ZEEBE_URI && element.local === 'userTaskForm' && id) this.forms.set(id, element);
    }
  }

  get isChanged(): boolean {
    return this.changed;
  }

  private idOf(element: XmlElement): string | undefined {
    for (let at: XmlElement | null = element; at; at = at.parent) {
      if (at.uri === BPMN_MODEL_NS) {
        const id = attribute(at, 'id')?.value;
        if (id) return id;
      }
    }
    return undefined;
  }

  converted(element: XmlElement, dialect: Dialect, from: string, to: string, message: string): void {
    this.changed = true;
    const elementId = this.idOf(element);
    this.report.converted.push({ dialect, ...(elementId ? { elementId } : {}), from, to, message });
  }

  dropped(element: XmlElement, dialect: Dialect, from: string, message: string): void {
    this.changed = true;
    const elementId = this.idOf(element);
    this.report.dropped.push({ dialect, ...(elementId ? { elementId } : {}), from, message });
  }

  // ── building blocks ──

  /** Sets a camunda attribute unless the file already gives it another value (which then wins). */
  private setCamunda(element: XmlElement, local: string, value: string, dialect: Dialect, from: string, what: string): void {
    const existing = attribute(element, local, CAMUNDA_URI);
    if (existing && existing.value !== value) {
      this.dropped(element, dialect, from, `${what}：文件已写有 camunda:${local}="${shorten(existing.value, 40)}"，保留它`);
      return;
    }
    setAttribute(element, local, value, CAMUNDA_URI);
    this.converted(element, dialect, from, `camunda:${local}="${shorten(value)}"`, what);
  }

  private extensionElements(element: XmlElement, create: boolean): XmlElement | null {
    const found = elementChildren(element, BPMN_MODEL_NS, 'extensionElements')[0];
    if (found || !create) return found ?? null;
    const made = createElement(BPMN_MODEL_NS, 'extensionElements', element.prefix);
    // After the documentation, as the BPMN schema orders them.
    const documentation = elementChildren(element, BPMN_MODEL_NS, 'documentation').pop();
    appendChild(element, made, documentation ? element.children.indexOf(documentation) + 1 : 0);
    return made;
  }

  private dialectExtensions(element: XmlElement, uri: string): XmlElement[] {
    const container = this.extensionElements(element, false);
    return container ? elementChildren(container, uri) : [];
  }

  private removeExtension(element: XmlElement, child: XmlElement): void {
    const container = child.parent!;
    removeChild(container, child);
    if (container.local === 'extensionElements' && container.parent === element && !elementChildren(container).length) removeChild(element, container);
  }

  private addForm(element: XmlElement, reading: FormReading, dialect: Dialect, from: string): void {
    for (const why of reading.dropped) this.dropped(element, dialect, from, why);
    if (!reading.fields.length) {
      this.dropped(element, dialect, from, '表单没有可以转换的字段：请在属性面板中添加表单字段');
      return;
    }
    const container = this.extensionElements(element, true)!;
    if (elementChildren(container, CAMUNDA_URI, 'formData').length) {
      this.dropped(element, dialect, from, '文件已有 camunda:formData 表单，保留它');
      return;
    }
    appendChild(container, formDataElement(reading.fields));
    this.converted(element, dialect, from, `camunda:formData（${reading.fields.map((f) => f.id).join('、')}）`, `表单（${reading.fields.length} 个字段）`);
  }

  // ── Camunda 8 ──

  private zeebe(element: XmlElement): void {
    const local = element.local;
    for (const child of this.dialectExtensions(element, ZEEBE_URI)) {
      const from = (a?: XmlAttribute) => `${written(child)}${a ? ` ${written(child, a)}` : ''}`;
      const each = (map: Record<string, string>, what: (name: string) => string) => {
        for (const a of child.attributes) {
          const target = map[a.local];
          if (a.uri === '' && target) this.setCamunda(element, target, platformForm(a.value), 'camunda8', from(a), what(a.local));
          else if (a.uri === '') this.dropped(element, 'camunda8', from(a), `${written(child)} 的 ${a.local} 没有对应的平台写法`);
        }
        this.removeExtension(element, child);
      };
      if (local === 'userTask' && child.local === 'assignmentDefinition') {
        each({ assignee: 'assignee', candidateGroups: 'candidateGroups', candidateUsers: 'candidateUsers' }, (n) => ASSIGNMENT_NAMES[n] ?? n);
      } else if (local === 'userTask' && child.local === 'taskSchedule') {
        each({ dueDate: 'dueDate', followUpDate: 'followUpDate' }, (n) => (n === 'dueDate' ? '办理期限' : '跟进日期'));
      } else if (local === 'userTask' && child.local === 'priorityDefinition') {
        each({ priority: 'priority' }, () => '优先级');
      } else if ((local === 'userTask' || local === 'startEvent') && child.local === 'formDefinition') {
        const key = attribute(child, 'formKey')?.value ?? '';
        const embedded = /^camunda-forms:bpmn:(.+)$/.exec(key);
        const form = embedded ? this.forms.get(embedded[1]!) : undefined;
        if (form) {
          this.usedForms.add(form);
          this.addForm(element, readCamundaForm(textOf(form)), 'camunda8', from(attribute(child, 'formKey')));
        } else {
          const reference = child.attributes.find((a) => a.uri === '');
          this.dropped(element, 'camunda8', from(reference), '表单保存在文件之外（Camunda 8 的表单库或外部地址），文件里没有它的内容：请在属性面板中添加表单字段');
        }
        this.removeExtension(element, child);
      } else if (local === 'serviceTask' && child.local === 'taskDefinition') {
        const type = attribute(child, 'type');
        if (type && !isExpression(type.value as unknown)) {
          this.setCamunda(element, 'type', 'external', 'camunda8', from(type), '服务任务的实现方式');
          this.setCamunda(element, 'topic', type.value.trim(), 'camunda8', from(type), '处理程序名称（作业类型）');
        } else if (type) this.dropped(element, 'camunda8', from(type), '作业类型由表达式决定，平台的处理程序名称必须是固定的');
        for (const a of child.attributes) if (a.local === 'retries') this.dropped(element, 'camunda8', from(a), '重试次数由平台的事故处理决定（重试在管理后台进行）');
        this.removeExtension(element, child);
      } else if (local === 'serviceTask' && child.local === 'ioMapping') {
        this.inputMapping(element, child);
      } else if (local === 'multiInstanceLoopCharacteristics' && child.local === 'loopCharacteristics') {
        each({ inputCollection: 'collection', inputElement: 'elementVariable' }, (n) => (n === 'inputCollection' ? '多实例集合' : '多实例元素变量'));
      }
    }
  }

  private inputMapping(element: XmlElement, mapping: XmlElement): void {
    const inputs = elementChildren(mapping, ZEEBE_URI, 'input');
    if (inputs.length) {
      const container = this.extensionElements(element, true)!;
      let io = elementChildren(container, CAMUNDA_URI, 'inputOutput')[0];
      if (!io) {
        io = createElement(CAMUNDA_URI, 'inputOutput');
        appendChild(container, io);
      }
      for (const input of inputs) {
        const name = attribute(input, 'target')?.value ?? '';
        const source = attribute(input, 'source')?.value ?? '';
        const parameter = createElement(CAMUNDA_URI, 'inputParameter', null, { name });
        setText(parameter, platformForm(source));
        appendChild(io, parameter);
        this.converted(element, 'camunda8', `zeebe:input source="${shorten(source)}" target="${name}"`, `camunda:inputParameter name="${name}"`, `输入参数“${name}”`);
      }
    }
    for (const output of elementChildren(mapping, ZEEBE_URI, 'output')) {
      this.dropped(element, 'camunda8', `zeebe:output target="${attribute(output, 'target')?.value ?? ''}"`, '输出映射：平台把处理程序返回的各项直接存为流程变量');
    }
    this.removeExtension(element, mapping);
  }

  // ── Flowable and Activiti ──

  private flowable(element: XmlElement, uri: string): void {
    const dialect = DIALECT_OF[uri]!;
    const local = element.local;
    const workerType = attribute(element, 'type', uri);
    const workerTopic = attribute(element, 'topic', uri);
    if (local === 'serviceTask' && workerType?.value === 'external-worker' && workerTopic) {
      removeAttribute(element, workerType);
      removeAttribute(element, workerTopic);
      this.setCamunda(element, 'type', 'external', dialect, written(element, workerType), '服务任务的实现方式');
      this.setCamunda(element, 'topic', workerTopic.value.trim(), dialect, written(element, workerTopic), '处理程序名称（外部工作者主题）');
    }
    for (const a of [...element.attributes]) {
      if (a.uri !== uri) continue;
      const from = written(element, a);
      if (SAME_MEANING[local]?.includes(a.local)) {
        removeAttribute(element, a);
        this.setCamunda(element, a.local, platformForm(a.value), dialect, from, ASSIGNMENT_NAMES[a.local] ?? a.local);
      } else if (local === 'serviceTask' && a.local === 'type') {
        removeAttribute(element, a);
        this.dropped(element, dialect, from, `${DIALECT_NAMES[dialect]} 内置的任务类型，本平台不运行：请设置平台的处理程序（camunda:type="external" 加 camunda:topic）`);
      } else if (['class', 'expression', 'delegateExpression'].includes(a.local)) {
        removeAttribute(element, a);
        this.dropped(element, dialect, from, '调用 Java 代码，本平台不运行：请设置平台的处理程序（camunda:type="external" 加 camunda:topic）');
      } else if (a.local === 'formKey') {
        removeAttribute(element, a);
        this.dropped(element, dialect, from, '表单保存在文件之外（外部表单），文件里没有它的内容：请在属性面板中添加表单字段');
      } else if (a.local === 'candidateStarterUsers') {
        removeAttribute(element, a);
        this.dropped(element, dialect, from, '平台只按组限制谁可以发起流程：请在流程的 camunda:candidateStarterGroups 中写上这些人所在的组');
      }
    }
    const properties = this.dialectExtensions(element, uri).filter((child) => child.local === 'formProperty');
    if (properties.length && (local === 'userTask' || local === 'startEvent')) {
      this.addForm(element, readFormProperties(properties, uri), dialect, `${written(properties[0]!)}（${properties.length} 项）`);
      for (const p of properties) this.removeExtension(element, p);
    }
  }

  // ── expressions ──

  private camundaExpressions(element: XmlElement): void {
    const names = element.local === 'userTask' ? TASK_EXPRESSION_ATTRIBUTES : element.local === 'multiInstanceLoopCharacteristics' ? ['collection'] : [];
    for (const name of names) {
      const a = attribute(element, name, CAMUNDA_URI);
      const rewrite = a && rewriteExpression(a.value, null, true);
      if (a && rewrite) {
        const from = written(element, a);
        a.value = rewrite.text;
        this.converted(element, rewrite.from === 'camunda8' ? 'camunda8' : 'camunda7', from, `camunda:${name}="${shorten(a.value)}"`, EXPRESSION_NAMES[rewrite.from]);
      }
    }
    if (element.uri === CAMUNDA_URI && element.local === 'inputParameter' && !elementChildren(element).length) {
      const text = textOf(element);
      const rewrite = rewriteExpression(text, null, true);
      if (rewrite) {
        setText(element, rewrite.text);
        this.converted(element, rewrite.from === 'camunda8' ? 'camunda8' : 'camunda7', shorten(text), shorten(rewrite.text), EXPRESSION_NAMES[rewrite.from]);
      }
    }
  }

  /** Rewrites formal expressions; true when some expression still relies on the definitions' language. */
  private formalExpressions(defaultLanguage: string | null): boolean {
    let relies = false;
    for (const element of allElements(this.root)) {
      const kind = element.uri === BPMN_MODEL_NS ? FORMAL_EXPRESSIONS[element.local] : undefined;
      if (!kind) continue;
      const own = attribute(element, 'language');
      const language = own?.value ?? defaultLanguage;
      const body = textOf(element);
      if (!body.trim() && element.local === 'conditionExpression' && !elementChildren(element).length) {
        this.dropped(element, 'bpmn', `<${written(element)}${own ? ` language="${own.value}"` : ''}/>`, '空条件：这条顺序流没有条件');
        removeChild(element.parent!, element);
        continue;
      }
      const rewrite = rewriteExpression(body, language, kind === 'timer');
      if (rewrite) {
        setText(element, rewrite.text);
        if (own) removeAttribute(element, own);
        const dialect: Dialect = rewrite.from === 'camunda8' ? 'camunda8' : rewrite.from === 'juel' ? 'camunda7' : 'bpmn';
        this.converted(element, dialect, `${shorten(body)}${own ? `（${own.value}）` : ''}`, rewrite.text, EXPRESSION_NAMES[rewrite.from]);
      } else if (!own && kind === 'condition' && !isExpression(body as unknown)) {
        relies = true;
      }
    }
    return relies;
  }

  // ── the document ──

  run(): void {
    const definitions = this.root;
    for (const element of allElements(this.root)) {
      if (element.uri !== BPMN_MODEL_NS && !(element.uri === CAMUNDA_URI && element.local === 'inputParameter')) continue;
      if (element.uri === BPMN_MODEL_NS) {
        this.zeebe(element);
        this.flowable(element, FLOWABLE_URI);
        this.flowable(element, ACTIVITI_URI);
      }
      this.camundaExpressions(element);
    }

    const language = attribute(definitions, 'expressionLanguage');
    const relies = this.formalExpressions(language?.value ?? null);
    if (language && !/feel/i.test(language.value) && !relies) {
      removeAttribute(definitions, language);
      this.dropped(definitions, 'bpmn', written(definitions, language), '默认表达式语言：文件中的表达式都已是 ${FEEL}，不再需要它');
    }

    this.markExecutable();
    this.flowReferences();
    this.danglingForeignReferences();
    this.sweep();
  }

  private markExecutable(): void {
    const processes = elementChildren(this.root, BPMN_MODEL_NS, 'process');
    if (processes.some((p) => attribute(p, 'isExecutable')?.value === 'true')) return;
    const withContent = processes.filter((p) => elementChildren(p, BPMN_MODEL_NS).some((c) => FLOW_NODES.test(c.local)));
    if (withContent.length !== 1) return;
    const process = withContent[0]!;
    const before = attribute(process, 'isExecutable')?.value;
    setAttribute(process, 'isExecutable', 'true');
    const name = attribute(process, 'name')?.value;
    this.converted(
      process,
      'bpmn',
      before ? `isExecutable="${before}"` : '（未写 isExecutable）',
      'isExecutable="true"',
      `流程${name ? `“${name}”` : ''}是文件中唯一有内容的流程，原文件没有标为可执行：平台将运行它`,
    );
  }

  /**
   * `incoming`/`outgoing` of flow nodes, which Flowable and Activiti leave out: BPMN derives them from the sequence
   * flows, and the lint reads a node without them as an implicit start or end.
   */
  private flowReferences(): void {
    const byId = new Map<string, XmlElement>();
    for (const element of allElements(this.root)) {
      const id = attribute(element, 'id')?.value;
      if (id && element.uri === BPMN_MODEL_NS) byId.set(id, element);
    }
    let added = 0;
    for (const flow of allElements(this.root)) {
      if (flow.uri !== BPMN_MODEL_NS || flow.local !== 'sequenceFlow') continue;
      const id = attribute(flow, 'id')?.value;
      if (!id) continue;
      for (const [end, child] of [['sourceRef', 'outgoing'], ['targetRef', 'incoming']] as const) {
        const node = byId.get(attribute(flow, end)?.value ?? '');
        if (!node || elementChildren(node, BPMN_MODEL_NS, child).some((c) => textOf(c).trim() === id)) continue;
        const reference = createElement(BPMN_MODEL_NS, child, node.prefix);
        setText(reference, id);
        // After documentation, extension elements and the references already there, as the BPMN schema orders them.
        const leading = node.children.filter(
          (c): c is XmlElement => c.type === 'element' && c.uri === BPMN_MODEL_NS && ['documentation', 'extensionElements', 'incoming', 'outgoing'].includes(c.local),
        );
        const after = child === 'incoming' ? leading.filter((c) => c.local !== 'outgoing') : leading;
        appendChild(node, reference, after.length ? node.children.indexOf(after[after.length - 1]!) + 1 : 0);
        added++;
      }
    }
    if (added) this.converted(this.root, 'bpmn', `sourceRef/targetRef（${added} 处）`, 'incoming/outgoing', `补全了流程节点的入线和出线（${added} 处；BPMN 由顺序流推出它们，原文件没有写出）`);
  }

  private danglingForeignReferences(): void {
    const targetNamespace = attribute(this.root, 'targetNamespace')?.value;
    const foreign = (element: XmlElement, value: string): boolean => {
      const m = /^([A-Za-z_][\w.-]*):([\w.-]+)$/.exec(value.trim());
      if (!m || this.ids.has(m[2]!)) return false;
      const uri = namespaceOf(element, m[1]!);
      return !!uri && uri !== BPMN_MODEL_NS && uri !== targetNamespace;
    };
    for (const element of allElements(this.root)) {
      if (element.uri !== BPMN_MODEL_NS) continue;
      if (OPTIONAL_REFERENCES.has(element.local) && !elementChildren(element).length && foreign(element, textOf(element))) {
        this.dropped(element, 'bpmn', `<${written(element)}>${textOf(element).trim()}</${written(element)}>`, '引用了另一工具的占位符，文件中没有这个元素');
        removeChild(element.parent!, element);
        continue;
      }
      for (const a of [...element.attributes]) {
        if (a.uri === '' && OPTIONAL_REFERENCES.has(a.local) && foreign(element, a.value)) {
          this.dropped(element, 'bpmn', written(element, a), '引用了另一工具的占位符，文件中没有这个元素');
          removeAttribute(element, a);
        }
      }
    }
  }

  /** Whatever of zeebe, Flowable and Activiti is left has no counterpart here. */
  private sweep(): void {
    const attached = (element: XmlElement): boolean => {
      for (let at = element; at.parent; at = at.parent) if (!at.parent.children.includes(at)) return false;
      return true;
    };
    for (const element of allElements(this.root)) {
      const dialect = DIALECT_OF[element.uri];
      if (dialect) {
        if (!attached(element)) continue;
        const parent = element.parent!;
        const owner = parent.uri === BPMN_MODEL_NS && parent.local === 'extensionElements' && parent.parent ? parent.parent : parent;
        if (this.usedForms.has(element)) {
          this.changed = true;
        } else {
          const attributes = element.attributes.filter((a) => a.uri === '').map((a) => written(element, a)).join(' ');
          const message = element.local === 'userTaskForm' ? `${DIALECT_NAMES[dialect]} 的表单定义没有任务使用` : `${DIALECT_NAMES[dialect]} 的扩展 ${element.local}：平台没有对应的写法`;
          this.dropped(owner, dialect, `${written(element)}${attributes ? ` ${shorten(attributes, 60)}` : ''}`, message);
        }
        this.removeExtension(owner, element);
        continue;
      }
      for (const a of [...element.attributes]) {
        const from = DIALECT_OF[a.uri];
        if (!from) continue;
        this.dropped(element, from, written(element, a), `${DIALECT_NAMES[from]} 的属性 ${a.local}：平台没有对应的写法`);
        removeAttribute(element, a);
      }
    }
    for (const uri of Object.keys(DIALECT_OF)) {
      if (usesNamespace(this.root, uri)) continue;
      for (const d of namespaceDeclarations(this.root)) {
        if (d.attribute.value === uri) {
          removeAttribute(d.element, d.attribute);
          this.changed = true;
        }
      }
    }
  }

  serialize(): string {
    const needsCamunda = allElements(this.root).some(
      (e) => (e.prefix === null && e.uri === CAMUNDA_URI) || e.attributes.some((a) => a.prefix === null && a.uri === CAMUNDA_URI),
    );
    const camunda = needsCamunda ? ensurePrefix(this.root, CAMUNDA_URI, 'camunda') : 'camunda';
    return serializeXml(this.doc, (uri) => {
      if (uri === CAMUNDA_URI) return camunda;
      throw new Error(`no prefix for namespace ${uri}`);
    });
  }
}

const ASSIGNMENT_NAMES: Record<string, string> = {
  assignee: '办理人',
  candidateGroups: '候选组',
  candidateUsers: '候选用户',
  dueDate: '办理期限',
  followUpDate: '跟进日期',
  priority: '优先级',
  initiator: '发起人变量',
  candidateStarterGroups: '可发起的组',
  collection: '多实例集合',
  elementVariable: '多实例元素变量',
};

const EXPRESSION_NAMES: Record<'camunda8' | 'juel' | 'xpath' | 'feel', string> = {
  camunda8: '表达式由 Camunda 8 的 =FEEL 改为平台的 ${FEEL} 写法',
  juel: '表达式由 JUEL 改写为 FEEL',
  xpath: '表达式由 XPath 改写为 FEEL（数据对象读作同名的流程变量）',
  feel: 'FEEL 表达式改为平台的 ${FEEL} 写法',
};

/** The converted text (unchanged when nothing needed converting) and what was converted and dropped. */
export function convertDialects(text: string): { xml: string; report: ConversionReport } {
  const converter = new Converter(parseXml(text));
  converter.run();
  if (!converter.isChanged) return { xml: text, report: converter.report };
  return { xml: converter.serialize(), report: converter.report };
}
