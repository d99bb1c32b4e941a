/**
 * Helpers over bpmn-moddle elements, shared by the rules (no Node-only modules, no dependencies).
 */

/**
 * @param {any} element
 * @param {string} type e.g. `bpmn:UserTask`, `camunda:FormData`
 */
export function is(element, type) {
  return !!element && typeof element.$instanceOf === 'function' && element.$instanceOf(type);
}

/**
 * Extension elements of a type, e.g. `extensions(task, 'camunda:FormData')`.
 * @param {any} element
 * @param {string} type
 * @returns {any[]}
 */
export function extensions(element, type) {
  const values = (element && element.extensionElements && element.extensionElements.values) || [];
  return values.filter((/** @type {any} */ value) => is(value, type));
}

/** @param {unknown} text */
export function nonEmpty(text) {
  return typeof text === 'string' && text.trim() !== '';
}

/** @param {string} text @param {number} [max] */
export function shorten(text, max = 60) {
  const flat = String(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

const TYPE_NAMES = /** @type {Record<string, string>} */ ({
  'bpmn:UserTask': '用户任务',
  'bpmn:ServiceTask': '服务任务',
  'bpmn:ScriptTask': '脚本任务',
  'bpmn:SendTask': '发送任务',
  'bpmn:ReceiveTask': '接收任务',
  'bpmn:BusinessRuleTask': '业务规则任务',
  'bpmn:ManualTask': '手工任务',
  'bpmn:Task': '任务',
  'bpmn:CallActivity': '调用活动',
  'bpmn:SubProcess': '子流程',
  'bpmn:Transaction': '事务子流程',
  'bpmn:AdHocSubProcess': '自由子流程',
  'bpmn:SequenceFlow': '顺序流',
  'bpmn:StartEvent': '开始事件',
  'bpmn:EndEvent': '结束事件',
  'bpmn:IntermediateCatchEvent': '中间捕获事件',
  'bpmn:IntermediateThrowEvent': '中间抛出事件',
  'bpmn:BoundaryEvent': '边界事件',
  'bpmn:ExclusiveGateway': '排他网关',
  'bpmn:ParallelGateway': '并行网关',
  'bpmn:InclusiveGateway': '包容网关',
  'bpmn:EventBasedGateway': '事件网关',
  'bpmn:ComplexGateway': '复杂网关',
  'bpmn:Process': '流程',
  'bpmn:Definitions': '定义',
});

/**
 * `用户任务“审核”（Task_1）` — how messages name an element.
 * @param {any} element
 */
export function describe(element) {
  const type = TYPE_NAMES[element && element.$type] || '元素';
  const name = element && typeof element.name === 'string' ? element.name.trim() : '';
  const id = element && element.id ? element.id : '?';
  return name ? `${type}“${shorten(name, 40)}”（${id}）` : `${type}（${id}）`;
}

/**
 * The nearest enclosing element that messages can point at: a flow element, process or definitions.
 * @param {any} element
 */
export function host(element) {
  let current = element;
  for (let i = 0; current && i < 1000; i++) {
    if (current.id && (is(current, 'bpmn:FlowElement') || is(current, 'bpmn:Process') || is(current, 'bpmn:Definitions'))) {
      return current;
    }
    current = current.$parent;
  }
  return element;
}

/** @param {unknown} language */
export function isFeelLanguage(language) {
  if (language === undefined || language === null) return true;
  const text = String(language).trim();
  return text === '' || /feel/i.test(text);
}

/**
 * Visit every moddle object below `root` (not following references or `$`-properties), iteratively.
 * @param {any} root
 * @param {(node: any) => void} visit
 */
export function walk(root, visit) {
  /** @type {any[]} */
  const stack = [root];
  const seen = new Set();
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    if (typeof node.$type === 'string') visit(node);
    for (const key of Object.keys(node)) {
      if (key.startsWith('$')) continue;
      const value = node[key];
      if (value && typeof value === 'object') stack.push(value);
    }
  }
}

/**
 * @typedef {{ text: string, what: string, mustBeExpression: boolean }} ExpressionSite
 */

/** @param {any} expression */
function bodyOf(expression) {
  return expression && typeof expression.body === 'string' ? expression.body : expression ? '' : undefined;
}

/**
 * The language an expression is written in: its own `language`, else the definitions' `expressionLanguage`.
 * @param {any} expression
 * @returns {string | undefined}
 */
export function languageOf(expression) {
  if (expression && expression.language !== undefined) return expression.language;
  let current = expression;
  for (let i = 0; current && i < 1000; i++) {
    // Only a language the file writes: moddle answers BPMN's default (XPath) for a definitions element without one.
    if (is(current, 'bpmn:Definitions')) {
      return Object.prototype.hasOwnProperty.call(current, 'expressionLanguage') ? current.expressionLanguage : undefined;
    }
    current = current.$parent;
  }
  return undefined;
}

/**
 * Every place of an element that holds a `${FEEL}` expression (or a literal), per docs/ARCHITECTURE.md.
 * Expressions written in another language (their own or the definitions' default) are left to the rule
 * `no-javascript-condition`; conditional events to `supported-elements`.
 * @param {any} element
 * @returns {ExpressionSite[]}
 */
export function expressionSites(element) {
  /** @type {ExpressionSite[]} */
  const sites = [];
  /** @param {any} expression @param {string} what @param {boolean} must */
  const addExpression = (expression, what, must) => {
    if (!expression || !isFeelLanguage(languageOf(expression))) return;
    const text = bodyOf(expression);
    if (text !== undefined) sites.push({ text, what, mustBeExpression: must });
  };
  /** @param {unknown} text @param {string} what @param {boolean} must */
  const addText = (text, what, must) => {
    if (typeof text === 'string') sites.push({ text, what, mustBeExpression: must });
  };

  if (is(element, 'bpmn:SequenceFlow')) addExpression(element.conditionExpression, '条件', true);

  if (is(element, 'bpmn:Activity')) {
    const loop = element.loopCharacteristics;
    if (is(loop, 'bpmn:MultiInstanceLoopCharacteristics')) {
      addExpression(loop.completionCondition, '多实例完成条件', true);
      addExpression(loop.loopCardinality, '多实例循环次数', false);
      addText(loop.collection, '多实例集合（camunda:collection）', true);
    }
  }

  if (is(element, 'bpmn:UserTask')) {
    addText(element.assignee, '办理人（camunda:assignee）', false);
    addText(element.candidateGroups, '候选组（camunda:candidateGroups）', false);
    addText(element.candidateUsers, '候选用户（camunda:candidateUsers）', false);
    addText(element.dueDate, '办理期限（camunda:dueDate）', false);
    addText(element.followUpDate, '跟进日期（camunda:followUpDate）', false);
    addText(element.priority, '优先级（camunda:priority）', false);
  }

  for (const definition of (is(element, 'bpmn:Event') && element.eventDefinitions) || []) {
    if (is(definition, 'bpmn:TimerEventDefinition')) {
      addExpression(definition.timeDate, '定时日期（timeDate）', false);
      addExpression(definition.timeDuration, '定时时长（timeDuration）', false);
      addExpression(definition.timeCycle, '定时周期（timeCycle）', false);
    }
  }

  for (const io of extensions(element, 'camunda:InputOutput')) {
    for (const parameter of io.inputParameters || []) {
      addText(parameter.value, `输入参数“${parameter.name || '?'}”`, false);
    }
    for (const parameter of io.outputParameters || []) {
      addText(parameter.value, `输出参数“${parameter.name || '?'}”`, false);
    }
  }

  return sites;
}
