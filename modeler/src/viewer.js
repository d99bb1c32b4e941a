// Light diagram viewer for instance pages: bpmn-js NavigatedViewer (pan and zoom, no editing) with
// markers for completed, active and incident elements.
//
//   window.renderDiagram(container, xml, { completed: [ids], active: [ids], incident: [ids], focus: id })
//     → Promise<{ viewer, warnings, missing }>   (`missing`: marked ids not in the diagram)
//
// Pages under a strict Content-Security-Policy (no inline scripts) can instead mark a container
//   <div data-bpmn-viewer data-xml-url="/api/…/xml" data-markers='{"completed":[…],"active":[…],"incident":[…]}' data-focus="id">
// and it is rendered when this script loads.
//
// The diagram opens whole when that is readable; the shipped processes are 2200–5000 units wide, and fitting them to
// a panel would shrink the text below reading size, so below MIN_FIT_SCALE it opens at READABLE_SCALE (less, down to
// MIN_FIT_SCALE, to fit its height) around `focus` (the current step), to be dragged and zoomed.

import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import './viewer.css';

const FONT_FAMILY = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", Arial, sans-serif';

const MARKERS = {
  completed: 'bpmn-completed',
  active: 'bpmn-active',
  incident: 'bpmn-incident'
};

const STATE_LABELS = {
  completed: '已完成',
  active: '进行中',
  incident: '故障'
};

const viewers = new WeakMap();

const MIN_FIT_SCALE = 0.7;
const READABLE_SCALE = 0.85;

/** After fitting the viewport: when that made the diagram too small to read, a readable scale around `focusId`. */
function readableZoom(viewer, focusId) {
  const canvas = viewer.get('canvas');
  if (canvas.viewbox().scale >= MIN_FIT_SCALE) return;
  const outer = canvas.viewbox().outer;
  const height = canvas.viewbox().inner.height + 40;
  canvas.zoom(Math.max(MIN_FIT_SCALE, Math.min(READABLE_SCALE, outer.height / height)));
  const box = canvas.viewbox();
  const inner = box.inner;
  const element = focusId ? viewer.get('elementRegistry').get(focusId) : null;
  const cx = element ? element.x + element.width / 2 : inner.x + box.width / 2;
  // Vertically the whole height when it fits, else around the element.
  const cy = inner.height <= box.height || !element ? inner.y + inner.height / 2 : element.y + element.height / 2;
  // No empty canvas beyond the diagram's ends.
  const margin = 20;
  const x = Math.max(inner.x - margin, Math.min(cx - box.width / 2, inner.x + inner.width + margin - box.width));
  canvas.viewbox({ x, y: cy - box.height / 2, width: box.width, height: box.height });
}

/**
 * Where a state badge goes: at the lower left corner of a task, but above an event or gateway whose name is
 * written below it (and below one named above), so that the badge never covers the name.
 */
function badgePosition(element) {
  const label = element.label;
  if (!label) return { bottom: 4, left: -4 };
  const labelBelow = label.y >= element.y + element.height / 2;
  return labelBelow ? { top: -22, left: -4 } : { bottom: -20, left: -4 };
}

async function renderDiagram(container, xml, states = {}) {
  if (typeof container === 'string') container = document.querySelector(container);
  if (!container) throw new Error('renderDiagram: container not found');

  let viewer = viewers.get(container);
  if (!viewer) {
    container.classList.add('bpmn-viewer');
    viewer = new NavigatedViewer({
      container,
      textRenderer: { defaultStyle: { fontFamily: FONT_FAMILY }, externalStyle: { fontFamily: FONT_FAMILY } }
    });
    viewers.set(container, viewer);
  }

  const { warnings } = await viewer.importXML(xml);
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  const overlays = viewer.get('overlays');
  canvas.zoom('fit-viewport', 'auto');

  const missing = [];
  for (const [ state, marker ] of Object.entries(MARKERS)) {
    for (const id of states[state] || []) {
      const element = registry.get(id);
      if (!element) {
        missing.push(id);
        continue;
      }
      canvas.addMarker(id, marker);
      if (state !== 'completed' && element.type !== 'label' && !element.waypoints) {
        const badge = document.createElement('span');
        badge.className = `bpmn-state-badge bpmn-state-${state}`;
        badge.textContent = STATE_LABELS[state];
        overlays.add(id, 'bpmn-state', { position: badgePosition(element), html: badge });
      }
    }
  }
  readableZoom(viewer, states.focus);
  return { viewer, warnings, missing };
}

function parseMarkers(text) {
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

async function autoRender(container) {
  const url = container.getAttribute('data-xml-url');
  if (!url) return;
  try {
    const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/xml, text/xml, */*' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const states = parseMarkers(container.getAttribute('data-markers'));
    await renderDiagram(container, await res.text(), { ...states, focus: container.getAttribute('data-focus') || states.focus });
    container.setAttribute('data-rendered', 'true');
  } catch (err) {
    container.textContent = `流程图无法显示：${err.message}`;
    container.setAttribute('data-rendered', 'error');
  }
}

window.renderDiagram = renderDiagram;

function init() {
  document.querySelectorAll('[data-bpmn-viewer]').forEach(autoRender);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
