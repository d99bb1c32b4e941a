// The report of an import (POST /api/bpmn/import): what the server converted to the platform's writing and what it
// dropped, one line each, naming the element so that a click shows it on the diagram.

const DIALECTS = {
  camunda8: 'Camunda 8',
  flowable: 'Flowable',
  activiti: 'Activiti',
  camunda7: 'Camunda 7',
  bpmn: 'BPMN'
};

function item(el, entry, nameOf, onFocus) {
  const where = entry.elementId ? `${nameOf(entry.elementId) || ''}（${entry.elementId}）` : '';
  const change = entry.to ? `${entry.from} → ${entry.to}` : entry.from;
  const li = el('li', {
    class: 'import-item',
    'data-element-id': entry.elementId || null,
    tabindex: entry.elementId ? '0' : null
  },
  el('span', { class: 'import-dialect' }, DIALECTS[entry.dialect] || entry.dialect),
  where ? el('span', { class: 'problem-where' }, where) : null,
  el('span', { class: 'import-message' }, entry.message),
  el('code', { class: 'import-change' }, change));
  if (entry.elementId) {
    li.addEventListener('click', () => onFocus(entry.elementId));
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter') onFocus(entry.elementId); });
  }
  return li;
}

/**
 * Fills the import panel.
 *
 * @param {{ panel: HTMLElement, body: HTMLElement, count: HTMLElement | null }} target
 * @param {{ encoding: string, conversion: { converted: object[], dropped: object[] } }} result
 * @param {string} fileName
 * @param {{ el: Function, nameOf: (id: string) => string, onFocus: (id: string) => void }} helpers
 */
export function renderImportReport(target, result, fileName, { el, nameOf, onFocus }) {
  const { converted, dropped } = result.conversion;
  const section = (title, cls, entries) => el('div', { class: `import-section ${cls}` },
    el('h3', {}, `${title}（${entries.length}）`),
    entries.length
      ? el('ul', { class: 'import-list' }, entries.map((e) => item(el, e, nameOf, onFocus)))
      : el('p', { class: 'import-none' }, '无'));
  target.body.replaceChildren(
    el('p', { class: 'import-file' }, `${fileName}：按 ${result.encoding} 编码读取`),
    section('已转换为平台的写法', 'import-converted', converted),
    section('已舍弃（平台没有对应的写法）', 'import-dropped', dropped));
  if (target.count) target.count.textContent = `转换 ${converted.length} 处，舍弃 ${dropped.length} 处`;
  target.panel.hidden = false;
}
