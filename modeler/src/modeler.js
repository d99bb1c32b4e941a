// The admin console's BPMN modeler page (forms/admin/modeler.hbs): bpmn-js Modeler with the Camunda 7
// properties panel, in Chinese, with live lint using the server's deploy rule set, candidate groups
// picked from the server's groups, drafts, import of diagrams made elsewhere (converted by the server,
// with its report), deployment with a diff against the previous version, and server problems (errors
// and warnings) shown beside the elements they concern.

import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
  CamundaPlatformTooltipProvider
} from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import lintModule from 'bpmn-js-bpmnlint';
import lintConfig, { ruleLevels } from 'virtual:bpmnlint-config';

import { translateModule, translate, translateLintMessage } from './i18n/index.js';
import { candidateGroupsModule } from './candidate-groups.js';
import { api } from './api.js';
import { diffBpmn, fieldLabel } from './diff.js';
import { newDiagramXml, processOf, KEY_PATTERN } from './new-diagram.js';
import { fixNamespacePrefixes } from './namespaces.js';
import { formatBeijingTime } from './beijing-time.js';
import { renderImportReport } from './import-report.js';

import './modeler.css';

const FONT_FAMILY = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", Arial, sans-serif';

const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [ k, v ] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Type of a BPMN element in Chinese, e.g. `bpmn:UserTask` → 用户任务. */
export function typeLabel(type) {
  const raw = String(type || '').split(':')[1] || String(type || '');
  return translate(raw.replace(/(\B[A-Z])/g, ' $1'));
}


function download(name, content, type) {
  const url = URL.createObjectURL(new Blob([ content ], { type }));
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

class ModelerPage {

  constructor(root) {
    this.root = root;
    this.processKey = root.getAttribute('data-process-key') || '';
    this.current = { key: '', name: '', source: 'new', version: null };
    this.dirty = false;
    this.knownGroups = { loaded: false, groups: [], error: null };
    this.lintIssues = {};
    this.serverProblems = [];
    this.serverOverlayIds = [];
    this.processes = [];

    this.modeler = new BpmnModeler({
      container: $('#canvas', root),
      keyboard: { bind: true },
      textRenderer: { defaultStyle: { fontFamily: FONT_FAMILY }, externalStyle: { fontFamily: FONT_FAMILY } },
      propertiesPanel: {
        parent: $('#properties', root),
        tooltip: CamundaPlatformTooltipProvider
      },
      linting: { bpmnlint: lintConfig, active: true },
      additionalModules: [
        translateModule,
        BpmnPropertiesPanelModule,
        BpmnPropertiesProviderModule,
        CamundaPlatformPropertiesProviderModule,
        CamundaBehaviorsModule,
        candidateGroupsModule,
        lintModule,
        { knownGroups: [ 'value', this.knownGroups ] }
      ],
      moddleExtensions: { camunda: camundaModdle }
    });

    const eventBus = this.modeler.get('eventBus');
    eventBus.on('linting.completed', ({ issues }) => {
      this.lintIssues = issues || {};
      this.renderProblems();
    });
    eventBus.on('commandStack.changed', () => {
      this.dirty = true;
      this.renderTitle();
    });
    eventBus.on('import.done', () => {
      this.clearServerProblems();
    });

    window.addEventListener('beforeunload', (event) => {
      if (this.dirty) {
        event.preventDefault();
        event.returnValue = '';
      }
    });

    this.bindToolbar();
  }

  // ---------------------------------------------------------------------------------------------
  // status line and title

  status(text, kind = 'info') {
    const node = $('#modeler-status', this.root);
    if (!node) return;
    node.textContent = text;
    node.className = `modeler-status modeler-status-${kind}`;
  }

  renderTitle() {
    const node = $('#modeler-title', this.root);
    if (!node) return;
    const { key, name, source, version } = this.current;
    const where = source === 'version' ? `版本 ${version}` : source === 'draft' ? '草稿' : source === 'import' ? '导入的文件' : '新流程';
    node.textContent = key ? `${name || key}（${key}，${where}）${this.dirty ? ' · 未保存' : ''}` : '';
  }

  // ---------------------------------------------------------------------------------------------
  // loading diagrams

  async importXml(xml, meta) {
    const packages = this.modeler.get('moddle').getPackages();
    const fixed = fixNamespacePrefixes(xml, packages);
    if (fixed.renamed.length) {
      console.warn('命名空间前缀冲突，已改名', fixed.renamed);
    }
    const { warnings } = await this.modeler.importXML(fixed.xml);
    const proc = processOf(this.modeler.getDefinitions());
    this.current = { key: proc ? proc.key : '', name: proc ? proc.name : '', ...meta };
    this.dirty = false;
    this.renderTitle();
    this.modeler.get('canvas').zoom('fit-viewport', 'auto');
    if (warnings && warnings.length) {
      console.warn('导入警告', warnings);
      this.status(`已打开，导入时有 ${warnings.length} 条警告（详见浏览器控制台）`, 'warn');
    }
    return { warnings };
  }

  async newDiagram(key, name) {
    await this.importXml(newDiagramXml(key, name), { source: 'new', version: null });
    this.status(`已新建流程 ${key}`);
  }

  async openVersion(key, version) {
    const xml = await api.getVersionXml(key, version);
    await this.importXml(xml, { source: 'version', version: Number(version) });
    this.status(`已打开 ${key} 版本 ${version}`);
  }

  async openDraft(key) {
    const xml = await api.getDraft(key);
    if (xml === null) throw new Error(`流程 ${key} 没有草稿`);
    await this.importXml(xml, { source: 'draft', version: null });
    this.status(`已打开 ${key} 的草稿`);
  }

  /** Page load: the given process's draft if it has one, else its latest version; else a new diagram. */
  async start() {
    this.loadGroups();
    const key = this.processKey;
    try {
      if (key) {
        const draft = await api.getDraft(key).catch(() => null);
        if (draft) {
          await this.importXml(draft, { source: 'draft', version: null });
          this.status(`已打开 ${key} 的草稿（部署前请检查问题列表）`);
          return;
        }
        const info = await api.getProcess(key);
        const latest = Math.max(...info.versions.map((v) => v.version));
        await this.openVersion(key, latest);
        return;
      }
    } catch (err) {
      this.status(`无法打开流程 ${key}：${err.message}`, 'error');
    }
    await this.newDiagram(key && KEY_PATTERN.test(key) ? key : 'Process_1', '新流程');
  }

  async loadGroups() {
    try {
      const groups = await api.listGroups();
      this.knownGroups.groups = (groups || []).slice().sort((a, b) => String(a.id).localeCompare(String(b.id)));
      this.knownGroups.error = null;
    } catch (err) {
      this.knownGroups.error = err.message;
    }
    this.knownGroups.loaded = true;
    this.modeler.get('eventBus').fire('propertiesPanel.providersChanged');
  }

  // ---------------------------------------------------------------------------------------------
  // problems: live lint + server validation

  renderProblems() {
    const list = $('#problems-list', this.root);
    if (!list) return;
    const registry = this.modeler.get('elementRegistry');
    const nameOf = (id) => {
      const element = id && registry.get(id);
      const bo = element && element.businessObject;
      return bo ? (bo.name || typeLabel(bo.$type)) : '';
    };

    const items = [];
    for (const p of this.serverProblems) {
      const category = p.severity === 'warning' ? 'warn' : 'error';
      items.push({ source: 'server', category, elementId: p.elementId, message: translateLintMessage(p.message), code: p.code, line: p.line, column: p.column });
    }
    for (const [ id, issues ] of Object.entries(this.lintIssues)) {
      for (const issue of issues) {
        items.push({ source: 'lint', category: issue.category, elementId: issue.actualElementId || issue.id || id, message: translateLintMessage(issue.message), code: issue.rule });
      }
    }
    const rank = { error: 0, warn: 1, info: 2 };
    items.sort((a, b) => (a.source === b.source ? 0 : a.source === 'server' ? -1 : 1) || (rank[a.category] ?? 3) - (rank[b.category] ?? 3));

    list.replaceChildren(...items.map((item) => {
      const kind = item.category === 'error' ? '错误' : item.category === 'warn' ? '警告' : '提示';
      const label = item.source === 'server' ? `服务器·${kind}` : kind;
      const where = item.elementId
        ? `${nameOf(item.elementId) || ''}（${item.elementId}）`
        : item.line ? `第 ${item.line} 行${item.column ? ` 第 ${item.column} 列` : ''}` : '';
      const li = el('li', {
        class: `problem problem-${item.source} problem-${item.category}`,
        'data-element-id': item.elementId || null,
        'data-rule': item.code || null,
        tabindex: item.elementId ? '0' : null,
        title: item.code ? `规则：${item.code}` : null
      },
      el('span', { class: 'problem-kind' }, label),
      where ? el('span', { class: 'problem-where' }, where) : null,
      el('span', { class: 'problem-message' }, item.message));
      if (item.elementId) {
        const go = () => this.focusElement(item.elementId);
        li.addEventListener('click', go);
        li.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
      }
      return li;
    }));

    const errors = items.filter((i) => i.category === 'error').length;
    const warnings = items.filter((i) => i.category === 'warn').length;
    const count = $('#problems-count', this.root);
    if (count) count.textContent = items.length ? `${errors} 个错误，${warnings} 个警告` : '没有问题';
    const empty = $('#problems-empty', this.root);
    if (empty) empty.hidden = items.length > 0;
  }

  focusElement(id) {
    const element = this.modeler.get('elementRegistry').get(id);
    if (!element) return;
    const canvas = this.modeler.get('canvas');
    try {
      canvas.scrollToElement(element);
    } catch { /* elements on other planes */ }
    this.modeler.get('selection').select(element);
  }

  clearServerProblems() {
    const overlays = this.modeler.get('overlays');
    for (const id of this.serverOverlayIds) overlays.remove(id);
    this.serverOverlayIds = [];
    this.serverProblems = [];
    this.renderProblems();
  }

  /** The server's problems in the list, and beside their elements: ✕ for errors (they block deployment), ⚠ for warnings. */
  showServerProblems(problems) {
    this.clearServerProblems();
    this.serverProblems = problems || [];
    const registry = this.modeler.get('elementRegistry');
    const overlays = this.modeler.get('overlays');
    const byElement = {};
    for (const p of this.serverProblems) {
      if (p.elementId && registry.get(p.elementId)) (byElement[p.elementId] = byElement[p.elementId] || []).push(p);
    }
    for (const [ id, list ] of Object.entries(byElement)) {
      const messages = list.map((p) => translateLintMessage(p.message));
      const errors = list.filter((p) => p.severity !== 'warning').length;
      const warnings = list.length - errors;
      const badge = [ errors ? `✕ ${errors}` : '', warnings ? `⚠ ${warnings}` : '' ].filter(Boolean).join(' ');
      const html = el('div', { class: `server-problem-overlay${errors ? '' : ' server-problem-warning'}`, title: messages.join('\n') },
        el('span', { class: 'server-problem-badge' }, badge),
        el('div', { class: 'server-problem-text' }, messages.map((m) => el('div', {}, m))));
      this.serverOverlayIds.push(overlays.add(id, 'server-problem', { position: { top: -14, left: -14 }, html }));
    }
    this.renderProblems();
  }

  // ---------------------------------------------------------------------------------------------
  // import of a diagram made elsewhere

  hideImportReport() {
    const panel = $('#import-panel', this.root);
    if (panel) panel.hidden = true;
  }

  /**
   * 导入: the file's bytes go to the server, which reads its encoding, converts what other tools write and checks it;
   * the converted diagram opens with the report beside the problems, and what blocks deployment is marked on it.
   */
  async importFile(file) {
    if (this.dirty && !window.confirm('当前图有未保存的修改，确定要导入其他文件吗？')) return;
    this.status(`正在导入 ${file.name}…`);
    let result;
    try {
      result = await api.importBpmn(await file.arrayBuffer());
    } catch (err) {
      this.clearServerProblems();
      if (err.problems && err.problems.length) this.showServerProblems(err.problems);
      this.status(`无法导入 ${file.name}：${err.message}`, 'error');
      return null;
    }
    await this.importXml(result.xml, { source: 'import', version: null });
    this.dirty = true;
    this.renderTitle();
    // Lint problems are the live lint's (the same rules); the server adds what only it knows (handlers, forms, groups).
    this.showServerProblems([ ...result.errors, ...result.warnings ].filter((p) => !String(p.code).startsWith('lint/')));
    const registry = this.modeler.get('elementRegistry');
    renderImportReport({ panel: $('#import-panel', this.root), body: $('#import-body', this.root), count: $('#import-count', this.root) }, result, file.name, {
      el,
      nameOf: (id) => {
        const bo = registry.get(id)?.businessObject;
        return bo ? (bo.name || typeLabel(bo.$type)) : '';
      },
      onFocus: (id) => this.focusElement(id)
    });
    const { converted, dropped } = result.conversion;
    const blocking = result.errors.length;
    this.status(`已导入 ${file.name}：转换 ${converted.length} 处，舍弃 ${dropped.length} 处；` +
      (blocking ? `${blocking} 个问题阻止部署，已在图中标出，请在属性面板中补全` : '没有阻止部署的问题'), blocking ? 'warn' : 'ok');
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // save, deploy, download

  async xml() {
    return (await this.modeler.saveXML({ format: true })).xml;
  }

  requireKey() {
    const proc = processOf(this.modeler.getDefinitions());
    if (!proc || !proc.key) throw new Error('图中没有流程（bpmn:Process），无法确定流程标识');
    return proc.key;
  }

  async saveDraft() {
    const key = this.requireKey();
    const saved = await api.saveDraft(key, await this.xml());
    this.current = { ...this.current, key, source: 'draft', version: null };
    this.dirty = false;
    this.renderTitle();
    // The time the server stored it, in Beijing time: neither the browser's clock nor its time zone.
    this.status(`草稿已保存（${key}，${formatBeijingTime(saved && saved.updatedAt)}）`, 'ok');
  }

  /** Step 1 of deploying: compute and show the difference to the latest deployed version. */
  async prepareDeploy() {
    const key = this.requireKey();
    const xml = await this.xml();
    let previousXml = null;
    let previousVersion = null;
    try {
      const info = await api.getProcess(key);
      if (info && info.versions && info.versions.length) {
        previousVersion = Math.max(...info.versions.map((v) => v.version));
        previousXml = await api.getVersionXml(key, previousVersion);
      }
    } catch (err) {
      if (err.status !== 404) throw err;
    }
    const diff = await diffBpmn(this.modeler.get('moddle'), previousXml, xml);
    this.pendingDeploy = { key, xml };
    this.renderDiff(diff, key, previousVersion);
    return diff;
  }

  renderDiff(diff, key, previousVersion) {
    const panel = $('#diff-panel', this.root);
    const body = $('#diff-body', this.root);
    if (!panel || !body) return;
    const errorCount = Object.values(this.lintIssues).flat().filter((i) => i.category === 'error').length;
    const item = (e, extra) => el('li', { 'data-element-id': e.id, tabindex: '0', onclick: () => this.focusElement(e.id) },
      el('span', { class: 'diff-type' }, typeLabel(e.type)),
      ` ${e.name || '（无名称）'} `,
      el('code', {}, e.id),
      extra || null);
    const section = (title, cls, list, render) => list.length
      ? el('div', { class: `diff-section ${cls}` }, el('h3', {}, `${title}（${list.length}）`), el('ul', {}, list.map(render)))
      : null;

    const parts = [];
    if (diff.first) {
      parts.push(el('p', {}, `流程 ${key} 尚未部署过：这将是版本 1，包含 ${diff.added.length} 个元素。`));
    } else {
      parts.push(el('p', {}, `与已部署的版本 ${previousVersion} 相比：`));
      if (!diff.added.length && !diff.removed.length && !diff.changed.length) {
        parts.push(el('p', { class: 'diff-none' }, diff.layoutOnly.length
          ? `只有布局变化（${diff.layoutOnly.length} 个元素），流程内容没有变化。`
          : '没有任何变化：服务器不会创建新版本。'));
      }
      parts.push(
        section('新增', 'diff-added', diff.added, (e) => item(e)),
        section('删除', 'diff-removed', diff.removed, (e) => el('li', {}, el('span', { class: 'diff-type' }, typeLabel(e.type)), ` ${e.name || '（无名称）'} `, el('code', {}, e.id))),
        section('修改', 'diff-changed', diff.changed, (e) => item(e, el('span', { class: 'diff-fields' },
          '：', e.fields.map(fieldLabel).join('、'),
          e.previousName !== e.name ? `（原名称：${e.previousName || '无'}）` : ''))),
        diff.layoutOnly.length && (diff.added.length || diff.removed.length || diff.changed.length)
          ? el('p', { class: 'diff-layout' }, `另有 ${diff.layoutOnly.length} 个元素只改变了位置或大小。`) : null);
    }
    if (errorCount) {
      parts.push(el('p', { class: 'diff-warning' }, `问题列表中还有 ${errorCount} 个错误，服务器会拒绝部署。`));
    }
    body.replaceChildren(...parts.filter(Boolean));
    panel.hidden = false;
    const confirm = $('[data-action="confirm-deploy"]', this.root);
    if (confirm) confirm.focus();
  }

  hideDiff() {
    const panel = $('#diff-panel', this.root);
    if (panel) panel.hidden = true;
    this.pendingDeploy = null;
  }

  /** Step 2: send the XML; on 400 show the server's problems beside their elements. */
  async confirmDeploy() {
    const pending = this.pendingDeploy;
    if (!pending) return;
    try {
      const result = await api.deploy(pending.xml);
      this.hideDiff();
      this.hideImportReport();
      // Warnings do not refuse a deployment; they stay listed and marked until the next one.
      const warnings = result.warnings || [];
      this.showServerProblems(warnings);
      this.current = { ...this.current, key: result.key, source: 'version', version: result.version };
      this.dirty = false;
      this.renderTitle();
      const remark = warnings.length ? `（${warnings.length} 个警告，见问题列表）` : '';
      this.status(result.created
        ? `已部署：${result.key} 版本 ${result.version}${remark}`
        : `内容与已部署的版本 ${result.version} 相同，没有创建新版本${remark}`, 'ok');
      this.refreshProcesses();
      return result;
    } catch (err) {
      this.hideDiff();
      if (err.problems && err.problems.length) {
        this.showServerProblems(err.problems);
        this.status(`部署失败：${err.message}，见问题列表和图中标记`, 'error');
      } else {
        this.status(`部署失败：${err.message}`, 'error');
      }
      return null;
    }
  }

  async downloadXml() {
    const key = this.current.key || 'diagram';
    download(`${key}.bpmn`, await this.xml(), 'application/xml');
  }

  async downloadSvg() {
    const key = this.current.key || 'diagram';
    const { svg } = await this.modeler.saveSVG();
    download(`${key}.svg`, svg, 'image/svg+xml');
  }

  // ---------------------------------------------------------------------------------------------
  // dialogs: new diagram, open version

  async refreshProcesses() {
    try {
      this.processes = await api.listProcesses();
    } catch (err) {
      this.processes = [];
      throw err;
    }
    return this.processes;
  }

  async showOpenDialog() {
    const dialog = $('#open-dialog', this.root);
    const processSelect = $('#open-process', this.root);
    const versionSelect = $('#open-version', this.root);
    const message = $('#open-message', this.root);
    message.textContent = '正在读取已部署的流程…';
    processSelect.replaceChildren();
    versionSelect.replaceChildren();
    dialog.showModal();
    try {
      await this.refreshProcesses();
    } catch (err) {
      message.textContent = `无法读取流程列表：${err.message}`;
      return;
    }
    if (!this.processes.length) {
      message.textContent = '还没有已部署的流程。';
      return;
    }
    message.textContent = '';
    processSelect.replaceChildren(...this.processes.map((p) =>
      el('option', { value: p.key, selected: p.key === this.current.key }, `${p.name || p.key}（${p.key}，最新版本 ${p.latestVersion}）`)));
    await this.fillVersions();
  }

  async fillVersions() {
    const key = $('#open-process', this.root).value;
    const versionSelect = $('#open-version', this.root);
    const message = $('#open-message', this.root);
    versionSelect.replaceChildren();
    if (!key) return;
    try {
      const [ info, draft ] = await Promise.all([ api.getProcess(key), api.getDraft(key).catch(() => null) ]);
      const versions = (info.versions || []).slice().sort((a, b) => b.version - a.version);
      const options = versions.map((v) => el('option', { value: String(v.version) },
        `版本 ${v.version}（${formatBeijingTime(v.deployedAt)} 部署）`));
      if (draft) options.unshift(el('option', { value: 'draft' }, '草稿'));
      versionSelect.replaceChildren(...options);
      message.textContent = '';
    } catch (err) {
      message.textContent = `无法读取版本：${err.message}`;
    }
  }

  async openSelected() {
    const key = $('#open-process', this.root).value;
    const version = $('#open-version', this.root).value;
    if (!key || !version) return;
    if (this.dirty && !window.confirm('当前图有未保存的修改，确定要打开其他版本吗？')) return;
    $('#open-dialog', this.root).close();
    if (version === 'draft') await this.openDraft(key);
    else await this.openVersion(key, version);
  }

  showNewDialog() {
    const dialog = $('#new-dialog', this.root);
    $('#new-key', this.root).value = '';
    $('#new-name', this.root).value = '';
    $('#new-message', this.root).textContent = '';
    dialog.showModal();
    $('#new-key', this.root).focus();
  }

  async createNew() {
    const key = $('#new-key', this.root).value.trim();
    const name = $('#new-name', this.root).value.trim();
    const message = $('#new-message', this.root);
    if (!KEY_PATTERN.test(key)) {
      message.textContent = '流程标识只能包含英文字母、数字、下划线、连字符和点，并以字母或下划线开头。';
      return;
    }
    if (!name) {
      message.textContent = '请填写流程名称。';
      return;
    }
    if (this.dirty && !window.confirm('当前图有未保存的修改，确定要新建吗？')) return;
    $('#new-dialog', this.root).close();
    await this.newDiagram(key, name);
  }

  // ---------------------------------------------------------------------------------------------

  bindToolbar() {
    const actions = {
      'new': () => this.showNewDialog(),
      'open': () => this.showOpenDialog(),
      'import': () => $('#import-file', this.root).click(),
      'save-draft': () => this.saveDraft(),
      'deploy': () => this.prepareDeploy(),
      'confirm-deploy': () => this.confirmDeploy(),
      'cancel-deploy': () => this.hideDiff(),
      'download-xml': () => this.downloadXml(),
      'download-svg': () => this.downloadSvg(),
      'create-new': () => this.createNew(),
      'open-selected': () => this.openSelected(),
      'close-dialog': (button) => button.closest('dialog').close()
    };
    this.root.addEventListener('click', async (event) => {
      const button = event.target.closest('[data-action]');
      if (!button || !this.root.contains(button)) return;
      const action = actions[button.getAttribute('data-action')];
      if (!action) return;
      event.preventDefault();
      button.disabled = true;
      try {
        await action(button);
      } catch (err) {
        console.error(err);
        this.status(err.message || String(err), 'error');
      } finally {
        button.disabled = false;
      }
    });
    const processSelect = $('#open-process', this.root);
    if (processSelect) processSelect.addEventListener('change', () => this.fillVersions());
    const importInput = $('#import-file', this.root);
    if (importInput) {
      importInput.addEventListener('change', async () => {
        const file = importInput.files && importInput.files[0];
        importInput.value = '';
        if (!file) return;
        try {
          await this.importFile(file);
        } catch (err) {
          console.error(err);
          this.status(err.message || String(err), 'error');
        }
      });
    }
  }
}

async function main() {
  const root = document.getElementById('modeler-app');
  if (!root) return;
  const page = new ModelerPage(root);
  // for the browser tests and for debugging in the console
  window.modelerPage = page;
  window.bpmnModeler = page.modeler;
  window.modelerLintRules = ruleLevels;
  await page.start();
  root.setAttribute('data-ready', 'true');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
