#!/usr/bin/env node
/**
 * Diagram layout (BPMN DI) for the policy processes in processes/*.bpmn.
 *
 *   node scripts/layout-processes.mjs [--check] [file.bpmn …]     (default: every processes/*.bpmn)
 *
 * The process files are written by hand (elements, forms, documentation) and are the source of truth. This script
 * replaces their <bpmndi:BPMNDiagram> with a fresh layered layout and keeps the semantic XML byte for byte, so
 * re-running it after editing a process only moves shapes. (bpmn-auto-layout was tried first; on these diagrams,
 * which loop back a lot — 退回修改, 另行选举, 续签 — it drew flows through shapes, so the layout is done here.)
 *
 * Layout, per container (the process, then each embedded sub-process, drawn expanded):
 *  - flows that close a loop (found by depth-first search from the start event, outgoing flows in document
 *    order) are set aside; the rest is a DAG;
 *  - columns: longest path from the start; rows: depth-first in document order, so the first outgoing flow
 *    of an element continues on its row and the others branch below (write the main path first);
 *  - forward flows are orthogonal; loop flows run below the container's elements, one level each;
 *  - a sub-process is sized to its content (and its loops) and placed like a task.
 *
 * --check only verifies: the file imports with bpmn-moddle + camunda-bpmn-moddle without warnings, every flow
 * node has a BPMNShape and every sequence flow a BPMNEdge with at least two waypoints, every flow node has a name.
 * Exit code 1 on a problem. Manual touch-ups in a modeler are lost on the next run.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpmnModdle } from 'bpmn-moddle';
import camundaSchema from 'camunda-bpmn-moddle/resources/camunda.json' with { type: 'json' };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const checkOnly = args.includes('--check');
const files = args.filter((a) => !a.startsWith('--'));
const targets = files.length
  ? files.map((f) => path.resolve(f))
  : readdirSync(path.join(root, 'processes'))
      .filter((f) => f.endsWith('.bpmn'))
      .sort()
      .map((f) => path.join(root, 'processes', f));

const DIAGRAM = /\s*<bpmndi:BPMNDiagram\b[\s\S]*?<\/bpmndi:BPMNDiagram>/g;

const H_GAP = 80; // between columns (room for a flow's name)
const V_GAP = 70; // between rows (room for gateway labels above)
const PAD = 50; // inside an expanded sub-process (room for loops entering at the left)
const PAD_TOP = 40; // room for the sub-process label
const LOOP_GAP = 30; // below the lowest element to the first loop line
const LOOP_STEP = 20; // between loop lines
const ORIGIN = { x: 160, y: 100 };

const moddle = () => new BpmnModdle({ camunda: camundaSchema });
const is = (element, type) => !!element && typeof element.$instanceOf === 'function' && element.$instanceOf(type);

function flowElementsDeep(container, out = []) {
  for (const element of container.flowElements ?? []) {
    out.push(element);
    if (is(element, 'bpmn:SubProcess')) flowElementsDeep(element, out);
  }
  return out;
}

/** Verify a file; returns a list of problems (empty when fine). */
export async function check(xml) {
  const problems = [];
  const { rootElement, warnings } = await moddle().fromXML(xml);
  for (const w of warnings) problems.push(`moddle: ${w.message}`);
  const processes = rootElement.rootElements.filter((e) => is(e, 'bpmn:Process'));
  const di = new Map();
  for (const diagram of rootElement.diagrams ?? []) {
    for (const item of diagram.plane?.planeElement ?? []) if (item.bpmnElement) di.set(item.bpmnElement.id, item);
  }
  for (const proc of processes) {
    for (const element of flowElementsDeep(proc)) {
      const item = di.get(element.id);
      if (is(element, 'bpmn:SequenceFlow')) {
        if (!item || !is(item, 'bpmndi:BPMNEdge')) problems.push(`no BPMNEdge for ${element.id}`);
        else if ((item.waypoint ?? []).length < 2) problems.push(`BPMNEdge ${element.id} has fewer than two waypoints`);
      } else if (is(element, 'bpmn:FlowNode')) {
        if (!item || !is(item, 'bpmndi:BPMNShape')) problems.push(`no BPMNShape for ${element.id}`);
        if (!(typeof element.name === 'string' && element.name.trim())) problems.push(`${element.id} has no name`);
      }
    }
  }
  return problems;
}

function baseSize(node) {
  if (is(node, 'bpmn:Gateway')) return { width: 50, height: 50 };
  if (is(node, 'bpmn:Event')) return { width: 36, height: 36 };
  return { width: 100, height: 80 };
}

/**
 * Lay out one container; returns its content size. Positions are relative to the container's content origin and
 * stored in `info` (node id → { col, row, x, y, width, height }).
 */
function layoutContainer(container, info, loops) {
  const nodes = (container.flowElements ?? []).filter((e) => is(e, 'bpmn:FlowNode'));
  const flows = (container.flowElements ?? []).filter((e) => is(e, 'bpmn:SequenceFlow'));
  for (const node of nodes) {
    if (is(node, 'bpmn:SubProcess')) {
      const inner = layoutContainer(node, info, loops);
      info.set(node.id, { width: inner.width + 2 * PAD, height: inner.height + PAD_TOP + PAD });
    } else {
      info.set(node.id, { ...baseSize(node) });
    }
  }
  const outgoing = new Map(nodes.map((n) => [n, []]));
  const incoming = new Map(nodes.map((n) => [n, []]));
  for (const flow of flows) {
    outgoing.get(flow.sourceRef).push(flow);
    incoming.get(flow.targetRef).push(flow);
  }

  // Loops: flows to an element still on the depth-first stack.
  const state = new Map();
  const back = new Set();
  const visit = (node) => {
    state.set(node, 1);
    for (const flow of outgoing.get(node)) {
      const next = flow.targetRef;
      if (state.get(next) === 1) back.add(flow);
      else if (!state.has(next)) visit(next);
    }
    state.set(node, 2);
  };
  const starts = nodes.filter((n) => is(n, 'bpmn:StartEvent'));
  for (const node of [...starts, ...nodes.filter((n) => !incoming.get(n).length), ...nodes]) if (!state.has(node)) visit(node);
  const forwardOut = (node) => outgoing.get(node).filter((f) => !back.has(f));
  const forwardIn = (node) => incoming.get(node).filter((f) => !back.has(f));

  // Columns: longest path over forward flows.
  const col = new Map();
  const pending = new Map(nodes.map((n) => [n, forwardIn(n).length]));
  const queue = nodes.filter((n) => pending.get(n) === 0);
  for (const node of queue) col.set(node, 0);
  while (queue.length) {
    const node = queue.shift();
    for (const flow of forwardOut(node)) {
      const next = flow.targetRef;
      col.set(next, Math.max(col.get(next) ?? 0, col.get(node) + 1));
      pending.set(next, pending.get(next) - 1);
      if (pending.get(next) === 0) queue.push(next);
    }
  }

  // Rows, column by column: an element follows its earliest predecessor (by column); the first outgoing flow of
  // that predecessor keeps its row, the other targets go below, nearest first. A flow that spans several
  // columns reserves the cells it runs through, so no element is placed on its line.
  const row = new Map();
  const used = new Map();
  const take = (c, r) => {
    if (!used.has(c)) used.set(c, new Set());
    used.get(c).add(r);
  };
  const lane = (from, to, r) => {
    for (let c = from; c <= to; c++) if (used.get(c)?.has(r)) return false;
    return true;
  };
  const branchIndex = (pred, node) => {
    const targets = forwardOut(pred).map((f) => f.targetRef);
    if (targets[0] === node) return 0;
    const rest = targets.slice(1).sort((a, b) => col.get(a) - col.get(b));
    return 1 + rest.indexOf(node);
  };
  const primary = (node) => {
    const preds = forwardIn(node).map((f) => f.sourceRef);
    return preds.length ? preds.reduce((best, p) => (col.get(p) < col.get(best) ? p : best)) : null;
  };
  const maxCol = Math.max(...nodes.map((n) => col.get(n)));
  for (let c = 0; c <= maxCol; c++) {
    const here = nodes
      .filter((n) => col.get(n) === c)
      .map((n) => {
        const p = primary(n);
        return { n, p, key: p ? [row.get(p), branchIndex(p, n), col.get(p)] : [starts.includes(n) ? -1 : 0, 0, 0] };
      })
      .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || b.key[2] - a.key[2]);
    for (const { n, p } of here) {
      const first = p ? col.get(p) + 1 : c;
      let r = p ? row.get(p) + (branchIndex(p, n) > 0 ? 1 : 0) : row.size ? Math.max(...row.values()) + 1 : 0;
      if (!p && starts.includes(n)) r = 0;
      while (!lane(first, c, r)) r++;
      row.set(n, r);
      for (let k = first; k <= c; k++) take(k, r);
    }
  }

  const cols = Math.max(...nodes.map((n) => col.get(n))) + 1;
  const rows = Math.max(...nodes.map((n) => row.get(n))) + 1;
  const colWidth = Array(cols).fill(0);
  const rowHeight = Array(rows).fill(0);
  for (const node of nodes) {
    const size = info.get(node.id);
    colWidth[col.get(node)] = Math.max(colWidth[col.get(node)], size.width);
    rowHeight[row.get(node)] = Math.max(rowHeight[row.get(node)], size.height);
  }
  const colX = [];
  const rowY = [];
  colWidth.reduce((x, w, i) => ((colX[i] = x), x + w + H_GAP), 0);
  rowHeight.reduce((y, h, i) => ((rowY[i] = y), y + h + V_GAP), 0);
  for (const node of nodes) {
    const entry = info.get(node.id);
    const c = col.get(node);
    const r = row.get(node);
    Object.assign(entry, {
      col: c,
      row: r,
      x: colX[c] + (colWidth[c] - entry.width) / 2,
      y: rowY[r] + (rowHeight[r] - entry.height) / 2,
      container,
    });
  }
  const backList = flows.filter((f) => back.has(f));
  loops.set(container, { back: backList, rowY, rowHeight, colX, colWidth });
  const width = colX[cols - 1] + colWidth[cols - 1];
  const contentBottom = rowY[rows - 1] + rowHeight[rows - 1];
  const height = contentBottom + (backList.length ? LOOP_GAP + backList.length * LOOP_STEP : 0);
  return { width, height };
}

/** Turn container-relative positions into absolute ones. */
function place(container, info, offset) {
  for (const node of (container.flowElements ?? []).filter((e) => is(e, 'bpmn:FlowNode'))) {
    const entry = info.get(node.id);
    entry.x = Math.round(entry.x + offset.x);
    entry.y = Math.round(entry.y + offset.y);
    if (is(node, 'bpmn:SubProcess')) place(node, info, { x: entry.x + PAD, y: entry.y + PAD_TOP });
  }
}

const textWidth = (text) => [...text].reduce((w, ch) => w + (/[\x20-\x7e]/.test(ch) ? 7 : 13), 0);

function labelBox(text, x, y, maxWidth = 90) {
  const width = Math.min(maxWidth, Math.max(20, textWidth(text)));
  const lines = Math.ceil(textWidth(text) / maxWidth);
  return { x: Math.round(x), y: Math.round(y), width: Math.round(width), height: 14 * lines };
}

/** A flow name in the gap after its source, just above the line. */
function aboveLine(text, x, y) {
  const label = labelBox(text, x, 0, H_GAP - 8);
  label.y = Math.round(y - label.height - 3);
  return label;
}

/** Waypoints and label of every sequence flow. */
function route(proc, info, loops) {
  const edges = new Map();
  const box = (node) => info.get(node.id);
  const center = (b) => ({ x: Math.round(b.x + b.width / 2), y: Math.round(b.y + b.height / 2) });
  const all = flowElementsDeep(proc);
  const containers = [proc, ...all.filter((e) => is(e, 'bpmn:SubProcess'))];
  for (const container of containers) {
    const meta = loops.get(container);
    const nodes = (container.flowElements ?? []).filter((e) => is(e, 'bpmn:FlowNode'));
    const flows = (container.flowElements ?? []).filter((e) => is(e, 'bpmn:SequenceFlow'));
    const bottom = Math.max(...nodes.map((n) => box(n).y + box(n).height));
    const origin = container === proc ? ORIGIN : { x: box(container).x + PAD, y: box(container).y + PAD_TOP };
    // Loops: shortest lowest first, so nested loops do not cross.
    const back = [...meta.back].sort((a, b) => box(a.sourceRef).x - box(a.targetRef).x - (box(b.sourceRef).x - box(b.targetRef).x));
    // Loops leave and enter through the gaps between columns, so their vertical lines cross no element.
    const colLeft = (c) => origin.x + meta.colX[c];
    const colRight = (c) => origin.x + meta.colX[c] + meta.colWidth[c];
    const labelShift = new Map(); // loops leaving the same element put their names side by side
    back.forEach((flow, index) => {
      const s = box(flow.sourceRef);
      const t = box(flow.targetRef);
      const sc = center(s);
      const tc = center(t);
      const level = bottom + LOOP_GAP + index * LOOP_STEP;
      const offset = (index % 4) * 6;
      const gapRight = colRight(s.col) + H_GAP / 2 + offset;
      const gapLeft = colLeft(t.col) - H_GAP / 2 - offset;
      let points;
      let label;
      if (is(flow.sourceRef, 'bpmn:Gateway')) {
        const drop = s.y + s.height + 12;
        points = [
          { x: sc.x, y: s.y + s.height },
          { x: sc.x, y: drop },
          { x: gapRight, y: drop },
          { x: gapRight, y: level },
        ];
        label = flow.name ? labelBox(flow.name, 0, 0, 120) : null;
        if (label) {
          const shift = labelShift.get(flow.sourceRef) ?? 0;
          Object.assign(label, { x: Math.round(gapRight - label.width - 6 - shift), y: Math.round(level - label.height - 2) });
          labelShift.set(flow.sourceRef, shift + label.width + 12);
        }
      } else {
        points = [
          { x: s.x + s.width, y: sc.y },
          { x: gapRight, y: sc.y },
          { x: gapRight, y: level },
        ];
        label = flow.name ? labelBox(flow.name, s.x + s.width + 4, sc.y - 18) : null;
      }
      points.push({ x: gapLeft, y: level }, { x: gapLeft, y: tc.y }, { x: t.x, y: tc.y });
      edges.set(flow.id, { points, label });
    });
    for (const flow of flows) {
      if (meta.back.includes(flow)) continue;
      const s = box(flow.sourceRef);
      const t = box(flow.targetRef);
      const sc = center(s);
      const tc = center(t);
      let points;
      let label = null;
      const gatewaySource = is(flow.sourceRef, 'bpmn:Gateway');
      if (s.row === t.row) {
        const blocked = nodes.some((n) => {
          const b = box(n);
          return b.row === s.row && b.col > s.col && b.col < t.col;
        });
        if (!blocked) {
          points = [
            { x: s.x + s.width, y: sc.y },
            { x: t.x, y: tc.y },
          ];
          if (flow.name) label = aboveLine(flow.name, s.x + s.width + 4, sc.y);
        } else {
          const channel = Math.round(origin.y + meta.rowY[s.row] + meta.rowHeight[s.row] + V_GAP / 2);
          points = [
            { x: sc.x, y: s.y + s.height },
            { x: sc.x, y: channel },
            { x: tc.x, y: channel },
            { x: tc.x, y: t.y + t.height },
          ];
          if (flow.name) label = labelBox(flow.name, sc.x + 6, s.y + s.height + 2);
        }
      } else if (t.row > s.row) {
        if (gatewaySource) {
          points = [
            { x: sc.x, y: s.y + s.height },
            { x: sc.x, y: tc.y },
            { x: t.x, y: tc.y },
          ];
          if (flow.name) label = labelBox(flow.name, sc.x + 8, tc.y - 18);
        } else {
          const mid = Math.round(s.x + s.width + H_GAP / 2);
          points = [
            { x: s.x + s.width, y: sc.y },
            { x: mid, y: sc.y },
            { x: mid, y: tc.y },
            { x: t.x, y: tc.y },
          ];
          if (flow.name) label = aboveLine(flow.name, s.x + s.width + 4, sc.y);
        }
      } else {
        points = [
          { x: s.x + s.width, y: sc.y },
          { x: tc.x, y: sc.y },
          { x: tc.x, y: t.y + t.height },
        ];
        if (flow.name) label = aboveLine(flow.name, s.x + s.width + 4, sc.y);
      }
      edges.set(flow.id, { points, label });
    }
  }
  return edges;
}

/** Flows drawn through an element that is neither their source nor their target (printed as warnings). */
function crossings(proc, info, edges) {
  const all = flowElementsDeep(proc);
  const nodes = all.filter((e) => is(e, 'bpmn:FlowNode'));
  const out = [];
  for (const flow of all.filter((e) => is(e, 'bpmn:SequenceFlow'))) {
    const ancestors = new Set();
    for (let c = flow.$parent; c; c = c.$parent) ancestors.add(c);
    const points = edges.get(flow.id).points;
    for (const node of nodes) {
      if (node === flow.sourceRef || node === flow.targetRef || ancestors.has(node)) continue;
      const b = info.get(node.id);
      const x1 = b.x + 2;
      const x2 = b.x + b.width - 2;
      const y1 = b.y + 2;
      const y2 = b.y + b.height - 2;
      for (let i = 1; i < points.length; i++) {
        const a = points[i - 1];
        const z = points[i];
        const hit =
          a.x === z.x
            ? a.x > x1 && a.x < x2 && Math.max(a.y, z.y) > y1 && Math.min(a.y, z.y) < y2
            : a.y > y1 && a.y < y2 && Math.max(a.x, z.x) > x1 && Math.min(a.x, z.x) < x2;
        if (hit) {
          out.push(`${flow.id} crosses ${node.id}`);
          break;
        }
      }
    }
  }
  return out;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function diagramXml(proc, info, edges) {
  const out = [];
  out.push(`  <bpmndi:BPMNDiagram id="BPMNDiagram_${esc(proc.id)}">`);
  out.push(`    <bpmndi:BPMNPlane id="BPMNPlane_${esc(proc.id)}" bpmnElement="${esc(proc.id)}">`);
  const all = flowElementsDeep(proc);
  const bounds = (b) => `<dc:Bounds x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" />`;
  for (const node of all.filter((e) => is(e, 'bpmn:FlowNode'))) {
    const b = info.get(node.id);
    const attrs = is(node, 'bpmn:ExclusiveGateway') ? ' isMarkerVisible="true"' : is(node, 'bpmn:SubProcess') ? ' isExpanded="true"' : '';
    out.push(`      <bpmndi:BPMNShape id="${esc(node.id)}_di" bpmnElement="${esc(node.id)}"${attrs}>`);
    out.push(`        ${bounds(b)}`);
    if (is(node, 'bpmn:Gateway') && node.name) {
      const label = labelBox(node.name, 0, 0, 120);
      label.x = Math.round(b.x + b.width / 2 - label.width / 2);
      label.y = b.y - label.height - 4;
      out.push(`        <bpmndi:BPMNLabel>${bounds(label)}</bpmndi:BPMNLabel>`);
    } else if (is(node, 'bpmn:Event') && node.name) {
      const label = labelBox(node.name, 0, 0, 100);
      label.x = Math.round(b.x + b.width / 2 - label.width / 2);
      label.y = b.y + b.height + 4;
      out.push(`        <bpmndi:BPMNLabel>${bounds(label)}</bpmndi:BPMNLabel>`);
    }
    out.push('      </bpmndi:BPMNShape>');
  }
  for (const flow of all.filter((e) => is(e, 'bpmn:SequenceFlow'))) {
    const edge = edges.get(flow.id);
    out.push(`      <bpmndi:BPMNEdge id="${esc(flow.id)}_di" bpmnElement="${esc(flow.id)}">`);
    for (const p of edge.points) out.push(`        <di:waypoint x="${Math.round(p.x)}" y="${Math.round(p.y)}" />`);
    if (edge.label) out.push(`        <bpmndi:BPMNLabel>${bounds(edge.label)}</bpmndi:BPMNLabel>`);
    out.push('      </bpmndi:BPMNEdge>');
  }
  out.push('    </bpmndi:BPMNPlane>');
  out.push('  </bpmndi:BPMNDiagram>');
  return out.join('\n');
}

const xmlEscape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const reEscape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Write <bpmn:incoming>/<bpmn:outgoing> into every flow node, as modelers do: bpmnlint and bpmn-js navigate the
 * diagram through them. Placed after the node's documentation and extension elements (BPMN 2.0 schema order).
 */
async function withFlowRefs(semantic) {
  let text = semantic.replace(/\n[ \t]*<bpmn:(incoming|outgoing)>[^<]*<\/bpmn:\1>/g, '');
  const { rootElement } = await moddle().fromXML(text);
  const proc = rootElement.rootElements.find((e) => is(e, 'bpmn:Process'));
  const all = flowElementsDeep(proc);
  const refs = new Map();
  for (const flow of all.filter((e) => is(e, 'bpmn:SequenceFlow'))) {
    if (!refs.has(flow.sourceRef.id)) refs.set(flow.sourceRef.id, { incoming: [], outgoing: [] });
    if (!refs.has(flow.targetRef.id)) refs.set(flow.targetRef.id, { incoming: [], outgoing: [] });
    refs.get(flow.sourceRef.id).outgoing.push(flow.id);
    refs.get(flow.targetRef.id).incoming.push(flow.id);
  }
  for (const node of all.filter((e) => is(e, 'bpmn:FlowNode'))) {
    const ref = refs.get(node.id);
    if (!ref) continue;
    const open = new RegExp(`([ \\t]*)<(bpmn:[A-Za-z]+)\\b[^>]*?\\bid="${reEscape(node.id)}"[^>]*?(/?)>`);
    const match = open.exec(text);
    if (!match) throw new Error(`cannot find the element ${node.id}`);
    const [whole, indent, tag, selfClosing] = match;
    const inner = `${indent}  `;
    const lines = [
      ...ref.incoming.map((id) => `${inner}<bpmn:incoming>${xmlEscape(id)}</bpmn:incoming>`),
      ...ref.outgoing.map((id) => `${inner}<bpmn:outgoing>${xmlEscape(id)}</bpmn:outgoing>`),
    ].join('\n');
    if (selfClosing) {
      const opened = whole.replace(/\s*\/>$/, '>');
      text = text.slice(0, match.index) + `${opened}\n${lines}\n${indent}</${tag}>` + text.slice(match.index + whole.length);
      continue;
    }
    let at = match.index + whole.length;
    for (const child of ['bpmn:documentation', 'bpmn:extensionElements']) {
      const rest = text.slice(at);
      const lead = /^\s*/.exec(rest)[0];
      if (rest.startsWith(`<${child}`, lead.length)) {
        const close = rest.indexOf(`</${child}>`);
        at += close + `</${child}>`.length;
      }
    }
    text = text.slice(0, at) + `\n${lines}` + text.slice(at);
  }
  return text;
}

async function layout(file) {
  const text = readFileSync(file, 'utf8');
  const semantic = await withFlowRefs(text.replace(DIAGRAM, ''));
  const parsed = await moddle().fromXML(semantic);
  if (parsed.warnings.length) throw new Error(`${file}: ${parsed.warnings.map((w) => w.message).join('; ')}`);
  const proc = parsed.rootElement.rootElements.find((e) => is(e, 'bpmn:Process'));
  const info = new Map();
  const loops = new Map();
  layoutContainer(proc, info, loops);
  place(proc, info, ORIGIN);
  const edges = route(proc, info, loops);
  for (const warning of crossings(proc, info, edges)) console.warn(`${path.basename(file)}: warning: ${warning}`);
  const out = semantic.replace(/\s*<\/bpmn:definitions>\s*$/, `\n${diagramXml(proc, info, edges)}\n</bpmn:definitions>\n`);
  writeFileSync(file, out);
  return out;
}

let failed = false;
for (const file of targets) {
  const xml = checkOnly ? readFileSync(file, 'utf8') : await layout(file);
  const problems = await check(xml);
  const name = path.relative(root, file);
  if (problems.length) {
    failed = true;
    console.error(`${name}:\n  ${problems.join('\n  ')}`);
  } else {
    console.log(`${name}: ok${checkOnly ? '' : ' (laid out)'}`);
  }
}
process.exitCode = failed ? 1 : 0;
