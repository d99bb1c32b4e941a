#!/usr/bin/env node
// Translation coverage check for the browser modeler.
//
// Extracts every literal string passed to `translate(...)` from the installed bpmn-js, diagram-js,
// bpmn-js-properties-panel (its dist bundle, split back into source files through the bundled
// source map), @bpmn-io/properties-panel and bpmn-js-bpmnlint, plus the strings that reach
// `translate` through a variable (replace menu labels, panel header type names, listener event
// labels, implementation type labels, bpmnlint rule messages), groups them by the part of the UI
// they belong to, and reports those that neither the community dictionary (bpmn-js-i18n, zn) nor
// our own dictionary (modeler/src/i18n/zh-CN.js) translates.
//
// Every group an admin sees in this modeler is required: exit code 1 if any of their strings is
// missing. The Camunda 8 (Zeebe) provider parts are listed for information only: the modeler does
// not load them.
//
// Usage: node modeler/scripts/check-translations.mjs [--verbose] [--json]

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(path.join(root, 'package.json'));

const verbose = process.argv.includes('--verbose');
const asJson = process.argv.includes('--json');

const { communityDictionary, ownDictionary, translateLintMessage } =
  await import(pathToFileURL(path.join(root, 'modeler/src/i18n/index.js')).href);

const pkgDir = (name) => path.dirname(require.resolve(`${name}/package.json`));

// ---------------------------------------------------------------------------------------------
// extraction helpers

/** Remove JSDoc / block comments and whole-line `//` comments (examples in docs are no UI text). */
function stripComments(src) {
  return src
    .replace(/^[ \t]*\/\*[\s\S]*?\*\//gm, '')
    .replace(/^[ \t]*\/\/.*$/gm, '');
}

// one string literal ('…', "…" or a `…` without ${…})
const LIT = String.raw`'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|\`(?:\\[\s\S]|[^\`\\$])*\``;

// translate( or this._translate(, not the SVG 'translate(' inside a string
const TRANSLATE_RE = new RegExp(String.raw`(?<![\w'"])_?translate\(\s*((?:${LIT})(?:\s*\+\s*(?:${LIT}))*)(\s*[,)+])`, 'g');

const TERNARY_RE = new RegExp(String.raw`(?<![\w'"])_?translate\(\s*[^;'"\`]{0,160}?(?:'[^']*'[^;'"\`]{0,80}?)?\?\s*(${LIT})\s*:\s*(${LIT})\s*[,)]`, 'g');

function unescape(s) {
  return s.replace(/\\(['"`\\])/g, '$1').replace(/\\n/g, '\n');
}

/** Value of `'a' + 'b'` (literals only). */
function joinLiterals(expr) {
  return [ ...expr.matchAll(new RegExp(LIT, 'g')) ].map((m) => unescape(m[0].slice(1, -1))).join('');
}

/** Literal arguments of translate(); an argument continued by `+ variable` is dynamic and skipped. */
function extractTranslateCalls(src) {
  const out = [];
  const code = stripComments(src);
  for (const m of code.matchAll(TRANSLATE_RE)) {
    if (m[2].trim() === '+') continue;
    out.push(joinLiterals(m[1]));
  }
  // translate(condition ? 'a' : 'b')
  for (const m of code.matchAll(TERNARY_RE)) {
    out.push(joinLiterals(m[1]), joinLiterals(m[2]));
  }
  return out;
}

function extractLabels(src) {
  const out = [];
  const re = /\blabel:\s*'((?:\\.|[^'\\])*)'/g;
  let m;
  const code = stripComments(src);
  while ((m = re.exec(code))) {
    out.push(unescape(m[1]));
  }
  return out;
}

/** `const X_LABEL = '…'` constants and `const X_TO_LABEL = { a: '…' }` tables. */
function extractLabelConstants(src) {
  const out = [];
  const code = stripComments(src);
  let m;
  const constRe = /\b[A-Z_]+_LABEL\s*=\s*'((?:\\.|[^'\\])*)'/g;
  while ((m = constRe.exec(code))) out.push(unescape(m[1]));
  const tableRe = /\b[A-Z_]+_TO_LABEL\s*=\s*\{([^}]*)\}/g;
  while ((m = tableRe.exec(code))) {
    const valRe = /:\s*'((?:\\.|[^'\\])*)'/g;
    let v;
    while ((v = valRe.exec(m[1]))) out.push(unescape(v[1]));
  }
  return out;
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [ p ];
  });
}

/** Files of a dist bundle, recovered from its source map: [{ file, source }]. */
function sourcesFromMap(mapFile, prefix) {
  const map = JSON.parse(fs.readFileSync(mapFile, 'utf8'));
  return map.sources
    .map((s, i) => ({ file: prefix + s.replace(/^(\.\.\/)+/, ''), source: map.sourcesContent[i] || '' }))
    .filter((f) => !f.file.includes('node_modules') && /\.(js|jsx|ts)$/.test(f.file));
}

// ---------------------------------------------------------------------------------------------
// groups: which part of the UI a string shows up in

/** @type {Map<string, { required: boolean, keys: Set<string> }>} */
const groups = new Map();

function add(group, keys, required = true) {
  if (!groups.has(group)) groups.set(group, { required, keys: new Set() });
  const g = groups.get(group);
  for (const k of keys) {
    if (k && /[A-Za-z]/.test(k)) g.keys.add(k);
  }
}

function diagramGroup(rel) {
  const f = rel.match(/features\/([^/]+)/)?.[1];
  if (!f) {
    if (/\/import\//.test(rel)) return '导入 (import warnings)';
    return '画布 (canvas)';
  }
  if ([ 'palette', 'hand-tool', 'lasso-tool', 'space-tool', 'global-connect' ].includes(f)) return '工具栏 (palette)';
  if ([ 'context-pad', 'align-elements', 'distribute-elements' ].includes(f)) return '上下文菜单 (context pad)';
  if ([ 'popup-menu', 'replace' ].includes(f)) return '替换菜单 (replace menu)';
  if ([ 'search-pad', 'search' ].includes(f)) return '搜索 (search)';
  return `画布 (canvas: ${f})`;
}

// bpmn-js and diagram-js: their `lib/` ES sources are what esbuild bundles
for (const pkg of [ 'bpmn-js', 'diagram-js' ]) {
  const dir = path.join(pkgDir(pkg), 'lib');
  for (const file of walk(dir)) {
    if (!/\.js$/.test(file) || /\.d\.ts$/.test(file)) continue;
    const rel = `${pkg}/${path.relative(dir, file)}`;
    const src = fs.readFileSync(file, 'utf8');
    add(diagramGroup(rel), extractTranslateCalls(src));
    if (/popup-menu\/PopupEntries\.js$|replace\/ReplaceOptions\.js$/.test(rel)) {
      add('替换菜单 (replace menu)', extractLabels(src));
    }
  }
}

// bpmn-js-properties-panel: dist bundle split into source files through its source map
function panelGroup(file) {
  if (/zeebe/.test(file)) return null;
  const base = path.basename(file).replace(/\.(js|jsx)$/, '');
  if (/\/(render|context|hooks|entries|utils|cmd)\//.test(file)) return '属性面板 框架 (panel chrome)';
  if (/contextProvider\/camunda-platform/.test(file)) return '属性面板 提示 (tooltips)';
  return `属性面板 ${base.replace(/Props$/, '')}`;
}

const panelDir = pkgDir('bpmn-js-properties-panel');
for (const { file, source } of sourcesFromMap(path.join(panelDir, 'dist/index.esm.js.map'), 'bpmn-js-properties-panel/')) {
  const keys = extractTranslateCalls(source).concat(extractLabelConstants(source));
  const g = panelGroup(file);
  if (g) add(g, keys);
  else add('(未加载) Camunda 8 / Zeebe 部分', keys, false);

  // panel header: translate(concreteType spaced), cf. src/render/PanelHeaderProvider.js
  if (/src\/icons\/index\.js$/.test(file)) {
    const types = [ ...source.matchAll(/^\s*'?([A-Za-z]+)'?:\s*[A-Za-z]+Icon,?$/gm) ].map((m) => m[1]);
    const extra = [ 'Lane', 'Group', 'DataInput', 'DataOutput', 'Association',
      'DataInputAssociation', 'DataOutputAssociation', 'IntermediateThrowEvent', 'IntermediateCatchEvent',
      'EndEvent', 'ExclusiveGateway', 'ParallelGateway', 'InclusiveGateway', 'EventBasedGateway',
      'ComplexGateway', 'SequenceFlow', 'DefaultFlow', 'ConditionalFlow', 'BusinessRuleTask', 'CallActivity',
      'EventSubProcess', 'TimerIntermediateCatchEvent', 'MessageIntermediateCatchEvent',
      'SignalIntermediateCatchEvent', 'ConditionalIntermediateCatchEvent', 'LinkIntermediateCatchEvent',
      'MessageIntermediateThrowEvent', 'SignalIntermediateThrowEvent', 'EscalationIntermediateThrowEvent',
      'CompensateIntermediateThrowEvent', 'LinkIntermediateThrowEvent', 'MessageEndEvent', 'ErrorEndEvent',
      'EscalationEndEvent', 'SignalEndEvent', 'TerminateEndEvent', 'CompensateEndEvent', 'CancelEndEvent',
      'Collaboration', 'DataObjectReference', 'DataStoreReference', 'TextAnnotation' ];
    const labels = [ ...new Set(types.concat(extra)) ].map((t) =>
      t.replace(/(\B[A-Z])/g, ' $1').replace(/(\bNon Interrupting)/g, '($1)'));
    add('属性面板 标题 (element type header)', labels);
  }
}

// @bpmn-io/properties-panel: the generic components (lists, FEEL fields, sections)
for (const { source } of sourcesFromMap(path.join(pkgDir('@bpmn-io/properties-panel'), 'dist/index.esm.js.map'), '')) {
  add('属性面板 框架 (panel chrome)', extractTranslateCalls(source));
}

// template literals with an inner ${…} cannot be extracted literally: their expansions
add('属性面板 框架 (panel chrome)', [
  'List contains {numOfItems} item',
  'List contains {numOfItems} items',
  'Click to remove dynamic value with FEEL expression',
  'Click to set a dynamic value with FEEL expression'
]);

// bpmn-js AlignElementsMenuProvider: translate('Align elements ' + alignment)
add('上下文菜单 (context pad)', [ 'left', 'center', 'right', 'top', 'middle', 'bottom' ]
  .map((a) => 'Align elements ' + a));

// bpmn-js-bpmnlint: the lint overlays
{
  const dir = pkgDir('bpmn-js-bpmnlint');
  add('问题列表 (lint overlays)', extractTranslateCalls(fs.readFileSync(path.join(dir, 'dist/index.esm.js'), 'utf8')));
  // the status button label is chosen by a conditional expression
  add('问题列表 (lint overlays)', [ '{errors} Errors, {warnings} Warnings', 'No Issues' ]);
}

// lint messages: bpmnlint's own rules and the platform plugin's (those reach `translate` too)
const lintMessages = [];
{
  const dirs = [ path.join(pkgDir('bpmnlint'), 'rules') ];
  const local = path.join(root, 'bpmnlint-plugin-platform');
  if (fs.existsSync(path.join(local, 'rules'))) dirs.push(path.join(local, 'rules'));
  for (const dir of dirs) {
    for (const file of walk(dir)) {
      if (!/\.(c|m)?js$/.test(file)) continue;
      const code = stripComments(fs.readFileSync(file, 'utf8'));
      for (const m of code.matchAll(new RegExp(String.raw`report\(\s*[^,()]+,\s*(${LIT})\s*[,)]`, 'g'))) {
        lintMessages.push(joinLiterals(m[1]));
      }
    }
  }
  // messages built at run time, checked through the pattern translations
  lintMessages.push('Process is missing end event', 'Sub process is missing end event',
    'Process is missing start event', 'Sub process is missing start event',
    'Process has multiple blank start events', 'Sub process has multiple blank start events',
    'Element type <bpmn:ComplexGateway> is discouraged',
    'Link catch event with link name <A> missing in scope', 'Link throw event with link name <A> missing in scope',
    'Duplicate link catch event with link name <A> in scope',
    'Element has a non-standard size; expected 100x80', 'Element has a non-standard width; expected width of 100',
    'Element has a non-standard height; expected height of 80');
}

// ---------------------------------------------------------------------------------------------
// report

const hasCjk = (s) => /[\u3400-\u9fff]/.test(s);

const rows = [];
let missingRequired = 0;
const missingList = [];

for (const [ name, { required, keys } ] of [ ...groups ].sort((a, b) => a[0].localeCompare(b[0]))) {
  if (!keys.size) continue;
  let community = 0, own = 0;
  const missing = [];
  for (const k of keys) {
    if (k in ownDictionary) own++;
    else if (k in communityDictionary) community++;
    else missing.push(k);
  }
  rows.push({ group: name, required, total: keys.size, community, own, missing: missing.length });
  if (required) {
    missingRequired += missing.length;
    for (const k of missing) missingList.push({ group: name, key: k });
  }
}

// lint messages: translated when the pattern-aware lint translation gives Chinese
{
  const uniq = [ ...new Set(lintMessages) ];
  const missing = uniq.filter((m) => !hasCjk(m) && !hasCjk(translateLintMessage(m)));
  rows.push({ group: '问题列表 规则消息 (lint messages)', required: true, total: uniq.length,
    community: 0, own: uniq.length - missing.length, missing: missing.length });
  missingRequired += missing.length;
  for (const k of missing) missingList.push({ group: 'lint messages', key: k });
}

/** Width on a terminal: CJK characters take two columns. */
const width = (s) => [ ...s ].reduce((a, c) => a + (/[\u1100-\uffff]/.test(c) ? 2 : 1), 0);
const pad = (s, n) => s + ' '.repeat(Math.max(0, n - width(s)));

if (asJson) {
  console.log(JSON.stringify({ rows, missing: missingList }, null, 2));
} else {
  const w = Math.max(...rows.map((r) => width(r.group))) + 2;
  console.log(`${pad('group', w)} ${'req'.padEnd(4)} ${'total'.padStart(5)} ${'comm.'.padStart(5)} ${'own'.padStart(5)} ${'miss'.padStart(5)}`);
  for (const r of rows) {
    console.log(`${pad(r.group, w)} ${(r.required ? 'yes' : 'no').padEnd(4)} ${String(r.total).padStart(5)} ${String(r.community).padStart(5)} ${String(r.own).padStart(5)} ${String(r.missing).padStart(5)}`);
  }
  const req = rows.filter((r) => r.required);
  const total = req.reduce((a, r) => a + r.total, 0);
  console.log(`\nrequired groups: ${req.length}, strings: ${total}, translated: ${total - missingRequired}, missing: ${missingRequired}`);
  if (missingList.length && (verbose || missingList.length <= 60)) {
    console.log('\nmissing:');
    for (const { group, key } of missingList) console.log(`  [${group}] ${JSON.stringify(key)}`);
  }
}

process.exit(missingRequired > 0 ? 1 : 0);
