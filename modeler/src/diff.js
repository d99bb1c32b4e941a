// Semantic difference between two BPMN documents, computed in the browser with the modeler's own
// bpmn-moddle instance (Camunda extension included): elements added, removed and changed by id (with
// their names and which properties changed), plus elements whose only change is their layout.
// Pure functions over a moddle instance: the same code runs in Node for tests.

const TRACKED = [
  'bpmn:FlowElement', 'bpmn:Artifact', 'bpmn:Lane', 'bpmn:Participant', 'bpmn:MessageFlow',
  'bpmn:Process', 'bpmn:Collaboration', 'bpmn:Message', 'bpmn:Signal', 'bpmn:Error', 'bpmn:Escalation',
  'bpmn:DataStore'
];

/** Properties that only mirror others (incoming/outgoing mirror the flows' sourceRef/targetRef). */
const IGNORED = new Set([ 'incoming', 'outgoing', 'diagrams', 'lanes', 'di' ]);

/** Membership lists of containers: additions and removals are reported on the members. */
const MEMBERSHIP = new Set([ 'flowElements', 'artifacts' ]);

/** Chinese names of the properties an admin edits. */
export const PROPERTY_LABELS = {
  name: '名称',
  documentation: '说明文档',
  conditionExpression: '条件',
  default: '默认流',
  sourceRef: '来源',
  targetRef: '目标',
  flowElements: '包含的元素',
  artifacts: '注释',
  laneSets: '泳道',
  flowNodeRef: '泳道中的元素',
  loopCharacteristics: '多实例',
  eventDefinitions: '事件定义（定时器、消息等）',
  attachedToRef: '附着的活动',
  cancelActivity: '是否中断',
  isExecutable: '可执行',
  isInterrupting: '是否中断',
  processRef: '流程',
  messageRef: '消息',
  'camunda:candidateGroups': '候选组',
  'camunda:candidateUsers': '候选用户',
  'camunda:assignee': '办理人',
  'camunda:dueDate': '截止日期',
  'camunda:followUpDate': '跟进日期',
  'camunda:priority': '优先级',
  'camunda:type': '实现方式',
  'camunda:topic': '主题（处理程序名）',
  'camunda:asyncBefore': '之前异步',
  'camunda:asyncAfter': '之后异步',
  'camunda:collection': '多实例集合',
  'camunda:elementVariable': '元素变量',
  'camunda:versionTag': '版本标签',
  'camunda:formKey': '表单键',
  'camunda:FormData': '表单字段',
  'camunda:InputOutput': '输入/输出参数',
  'camunda:Properties': '扩展属性',
  'camunda:ExecutionListener': '执行监听器',
  'camunda:TaskListener': '任务监听器',
  'camunda:In': '传入映射',
  'camunda:Out': '传出映射',
  'camunda:FailedJobRetryTimeCycle': '重试时间周期',
  extensionElements: '扩展设置'
};

function isTracked(el) {
  return !!el && typeof el.$instanceOf === 'function' && TRACKED.some((t) => el.$instanceOf(t));
}

function propName(p) {
  return p.ns && p.ns.prefix && p.ns.prefix !== 'bpmn' ? p.ns.name : p.name;
}

/** JSON-able value of a moddle element; tracked children are referenced by id (they are compared on their own). */
function canonical(el, top) {
  if (el === null || el === undefined) return null;
  if (typeof el !== 'object') return el;
  if (Array.isArray(el)) return el.map((v) => canonical(v, false));
  if (!el.$descriptor) return String(el);
  if (!top && isTracked(el) && el.id) return { $ref: el.id };
  if (!Array.isArray(el.$descriptor.properties)) return genericCanonical(el);

  const out = { $type: el.$type };
  for (const p of el.$descriptor.properties) {
    const name = propName(p);
    if (IGNORED.has(p.name)) continue;
    let value = el.get(name);
    if (value === undefined || value === null || (Array.isArray(value) && !value.length)) continue;
    if (p.isReference) {
      value = Array.isArray(value) ? value.map((v) => v && v.id) : value && value.id;
    } else {
      value = canonical(value, false);
    }
    out[name] = value;
  }
  for (const [ k, v ] of Object.entries(el.$attrs || {})) {
    if (!k.startsWith('xmlns')) out[`@${k}`] = v;
  }
  return out;
}

/** Elements of unknown extensions (moddle's generic elements): their own keys. */
function genericCanonical(el) {
  const out = { $type: el.$type };
  for (const k of Object.keys(el)) {
    if (k === '$parent' || k === '$descriptor' || k === '$model' || k === '$type') continue;
    out[k] = canonical(el[k], false);
  }
  return out;
}

const stable = (v) => JSON.stringify(v, (k, value) =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.keys(value).sort().map((key) => [ key, value[key] ]))
    : value);

/** Which top-level properties differ, with extension elements broken down by their type. */
function changedFields(a, b) {
  const fields = [];
  const keys = new Set([ ...Object.keys(a), ...Object.keys(b) ]);
  keys.delete('$type');
  for (const k of keys) {
    if (stable(a[k]) === stable(b[k])) continue;
    if (k === 'extensionElements') {
      const byType = (ext) => {
        const m = {};
        for (const v of (ext && ext.values) || []) (m[v.$type] = m[v.$type] || []).push(v);
        return m;
      };
      const ea = byType(a[k]), eb = byType(b[k]);
      const types = new Set([ ...Object.keys(ea), ...Object.keys(eb) ]);
      for (const t of types) {
        if (stable(ea[t]) !== stable(eb[t])) fields.push(t);
      }
      if (!types.size) fields.push(k);
    } else {
      fields.push(k);
    }
  }
  if (a.$type !== b.$type) fields.unshift('$type');
  return fields;
}

function layoutOf(definitions) {
  const layout = {};
  for (const diagram of definitions.diagrams || []) {
    for (const shape of (diagram.plane && diagram.plane.planeElement) || []) {
      const id = shape.bpmnElement && shape.bpmnElement.id;
      if (!id) continue;
      const b = shape.bounds;
      const w = shape.waypoint;
      layout[id] = stable({
        b: b ? [ b.x, b.y, b.width, b.height ] : null,
        w: w ? w.map((p) => [ p.x, p.y ]) : null,
        e: shape.isExpanded,
        l: shape.label && shape.label.bounds
          ? [ shape.label.bounds.x, shape.label.bounds.y, shape.label.bounds.width, shape.label.bounds.height ] : null
      });
    }
  }
  return layout;
}

function collect(definitions) {
  const map = new Map();
  const visit = (el) => {
    if (!el || typeof el !== 'object' || !el.$descriptor || !Array.isArray(el.$descriptor.properties)) return;
    if (isTracked(el) && el.id && !map.has(el.id)) map.set(el.id, el);
    for (const p of el.$descriptor.properties) {
      if (p.isReference || IGNORED.has(p.name) || p.name === 'extensionElements') continue;
      const v = el.get(propName(p));
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') visit(v);
    }
  };
  visit(definitions);
  return map;
}

function summary(el) {
  return { id: el.id, type: el.$type, name: el.name || '' };
}

/**
 * @param {object} moddle a bpmn-moddle instance (e.g. `modeler.get('moddle')`)
 * @param {string|null} previousXml the previous deployed version (null: first deployment)
 * @param {string} currentXml
 */
export async function diffBpmn(moddle, previousXml, currentXml) {
  const current = (await moddle.fromXML(currentXml, 'bpmn:Definitions')).rootElement;
  const previous = previousXml ? (await moddle.fromXML(previousXml, 'bpmn:Definitions')).rootElement : null;

  const curr = collect(current);
  const prev = previous ? collect(previous) : new Map();
  const currLayout = layoutOf(current);
  const prevLayout = previous ? layoutOf(previous) : {};

  const added = [], removed = [], changed = [], layoutOnly = [];
  for (const [ id, el ] of curr) {
    const before = prev.get(id);
    if (!before) {
      added.push(summary(el));
      continue;
    }
    // containers whose only change is which elements they contain: those are listed on their own
    const fields = changedFields(canonical(before, true), canonical(el, true))
      .filter((f) => !MEMBERSHIP.has(f));
    if (fields.length) {
      changed.push({ ...summary(el), previousName: before.name || '', fields });
    } else if (previous && currLayout[id] !== prevLayout[id]) {
      layoutOnly.push(summary(el));
    }
  }
  for (const [ id, el ] of prev) {
    if (!curr.has(id)) removed.push(summary(el));
  }
  return { first: !previous, added, removed, changed, layoutOnly };
}

export function fieldLabel(field) {
  if (field === '$type') return '元素类型';
  return PROPERTY_LABELS[field] || field;
}
