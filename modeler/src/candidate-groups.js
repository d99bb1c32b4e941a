// Candidate groups picked from the server's known groups (GET /api/groups) instead of typed blind.
//
// A properties provider that runs after the Camunda 7 one and, in its 人员分配 (User assignment) group,
// replaces the plain `camunda:candidateGroups` text field by the same field with a hint, followed by a
// checkbox list of the known groups (Chinese name + id). Ticking a box edits the comma separated
// list; ids the server does not know are pointed out; an expression (`${FEEL}`, or `=FEEL` as Camunda 8
// writes it) is left to the text field. A group means its holders in the case's unit (docs/ARCHITECTURE.md,
// "Units and scoping"); `role@unitId` names a unit explicitly and counts as its role here.

import { h } from '@bpmn-io/properties-panel/preact';
import { TextFieldEntry, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

const LOW_PRIORITY = 200;

export function parseGroups(value) {
  if (typeof value !== 'string') return [];
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The role of a candidate-group entry: `city-dpf@demo-city-dpf` → `city-dpf`. */
export function roleOf(entry) {
  const at = entry.indexOf('@');
  return at < 0 ? entry : entry.slice(0, at);
}

export function isExpression(value) {
  return typeof value === 'string' && (/\$\{[\s\S]*\}/.test(value) || /^\s*=/.test(value));
}

function useCandidateGroups(element) {
  const commandStack = useService('commandStack');
  const businessObject = getBusinessObject(element);
  const getValue = () => businessObject.get('camunda:candidateGroups');
  const setValue = (value) => {
    commandStack.execute('element.updateModdleProperties', {
      element,
      moddleElement: businessObject,
      properties: { 'camunda:candidateGroups': value || undefined }
    });
  };
  return { getValue, setValue };
}

function CandidateGroupsField(props) {
  const { element } = props;
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const { getValue, setValue } = useCandidateGroups(element);

  return TextFieldEntry({
    element,
    id: 'candidateGroups',
    label: translate('Candidate groups'),
    description: '组 ID，多个用英文逗号分隔，或写 ${FEEL} 表达式；也可在下方勾选已知的组。组指案件所属单位（或最近的上级单位）中担任该角色的人员；要指定单位，写“角色@单位标识”。',
    getValue,
    setValue,
    debounce
  });
}

function CandidateGroupsPicker(props) {
  const { element } = props;
  const known = useService('knownGroups');
  const { getValue, setValue } = useCandidateGroups(element);

  const value = getValue();
  const selected = parseGroups(value);
  const expression = isExpression(value);
  const groups = (known && known.groups) || [];
  const unknown = expression ? [] : selected.filter((id) => !groups.some((g) => g.id === roleOf(id)));
  const explicit = (id) => selected.filter((s) => s !== id && roleOf(s) === id).map((s) => s.slice(id.length + 1));

  const toggle = (id, checked) => {
    const next = selected.filter((s) => roleOf(s) !== id);
    if (checked) next.push(id);
    setValue(next.join(','));
  };

  let body;
  if (known && known.error) {
    body = h('div', { class: 'cg-note cg-error' }, `无法读取已知的组：${known.error}`);
  } else if (!known || !known.loaded) {
    body = h('div', { class: 'cg-note' }, '正在读取已知的组…');
  } else if (!groups.length) {
    body = h('div', { class: 'cg-note' }, '服务器还没有任何组。');
  } else {
    body = h('div', { class: 'cg-options', role: 'group', 'aria-label': '已知的组' },
      groups.map((g) => h('label', { class: 'cg-option', key: g.id, title: `组 ID：${g.id}` },
        h('input', {
          type: 'checkbox',
          name: 'candidateGroup',
          value: g.id,
          checked: selected.some((s) => roleOf(s) === g.id),
          disabled: expression,
          onChange: (event) => toggle(g.id, event.target.checked)
        }),
        h('span', { class: 'cg-name' }, g.name || g.id),
        h('span', { class: 'cg-id' }, g.id),
        explicit(g.id).length ? h('span', { class: 'cg-unit' }, `（指定单位：${explicit(g.id).join('、')}）`) : null)));
  }

  return h('div', { class: 'bio-properties-panel-entry cg-picker', 'data-entry-id': 'candidateGroupsPicker' },
    h('div', { class: 'bio-properties-panel-label' }, '从已知的组中选择'),
    expression ? h('div', { class: 'cg-note' }, '候选组是表达式，运行时才确定，不能在此勾选。') : null,
    body,
    unknown.length
      ? h('div', { class: 'cg-note cg-warning' }, `服务器不认识的组：${unknown.join('、')}`)
      : null);
}

export default function CandidateGroupsProvider(propertiesPanel) {
  propertiesPanel.registerProvider(LOW_PRIORITY, this);
}

CandidateGroupsProvider.$inject = [ 'propertiesPanel' ];

CandidateGroupsProvider.prototype.getGroups = function(element) {
  return (groups) => {
    if (!is(element, 'camunda:Assignable')) return groups;
    const group = groups.find((g) => g.id === 'CamundaPlatform__UserAssignment');
    if (!group) return groups;
    const index = group.entries.findIndex((e) => e.id === 'candidateGroups');
    if (index < 0) return groups;
    group.entries.splice(index, 1,
      { id: 'candidateGroups', component: CandidateGroupsField, isEdited: isTextFieldEntryEdited },
      { id: 'candidateGroupsPicker', component: CandidateGroupsPicker });
    return groups;
  };
};

/** additionalModules entry; `knownGroups` is provided by the page as a value `{ loaded, groups, error }`. */
export const candidateGroupsModule = {
  __init__: [ 'candidateGroupsProvider' ],
  candidateGroupsProvider: [ 'type', CandidateGroupsProvider ]
};
