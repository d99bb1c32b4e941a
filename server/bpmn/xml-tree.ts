import { SaxesParser, type SaxesTagNS } from 'saxes';

/**
 * A namespace-aware element tree of an XML document, for converting diagrams written by other tools
 * (server/bpmn/import-convert.ts): elements and attributes are matched by namespace URI, whatever prefix a file
 * binds, and the document is written back with its prefixes, comments and CDATA as they were.
 *
 * Only call with text that passed checkXmlSafety (server/bpmn/xml-safety.ts): it is then well-formed, has no
 * DOCTYPE and stays within the depth and element limits, so neither reading nor writing can blow up.
 */

export const XMLNS_URI = 'http://www.w3.org/2000/xmlns/';

export interface XmlAttribute {
  /** As written; null for an attribute added by a conversion until the document is written. */
  prefix: string | null;
  local: string;
  uri: string;
  value: string;
}

export interface XmlElement {
  type: 'element';
  /** As written ('' for the default namespace); null for an added element until the document is written. */
  prefix: string | null;
  local: string;
  uri: string;
  attributes: XmlAttribute[];
  children: XmlNode[];
  parent: XmlElement | null;
}

export type XmlNode =
  | XmlElement
  | { type: 'text' | 'cdata' | 'comment'; value: string }
  | { type: 'pi'; target: string; body: string };

export interface XmlDocument {
  declaration: { version: string; standalone?: string } | null;
  /** Comments and processing instructions before the root element. */
  prolog: XmlNode[];
  root: XmlElement;
  epilog: XmlNode[];
}

export function parseXml(text: string): XmlDocument {
  const parser = new SaxesParser({ xmlns: true });
  let declaration: XmlDocument['declaration'] = null;
  const prolog: XmlNode[] = [];
  const epilog: XmlNode[] = [];
  let root: XmlElement | null = null;
  let current: XmlElement | null = null;
  const add = (node: XmlNode) => {
    if (current) current.children.push(node);
    else if (node.type !== 'text') (root ? epilog : prolog).push(node);
  };
  parser.on('xmldecl', (decl) => {
    declaration = { version: decl.version ?? '1.0', ...(decl.standalone ? { standalone: decl.standalone } : {}) };
  });
  parser.on('processinginstruction', ({ target, body }) => add({ type: 'pi', target, body }));
  parser.on('comment', (value) => add({ type: 'comment', value }));
  parser.on('text', (value) => add({ type: 'text', value }));
  parser.on('cdata', (value) => add({ type: 'cdata', value }));
  parser.on('opentag', (tag: SaxesTagNS) => {
    const element: XmlElement = {
      type: 'element',
      prefix: tag.prefix,
      local: tag.local,
      uri: tag.uri,
      attributes: Object.values(tag.attributes).map((a) => ({ prefix: a.prefix, local: a.local, uri: a.uri, value: a.value })),
      children: [],
      parent: current,
    };
    if (current) current.children.push(element);
    else root = element;
    current = element;
  });
  parser.on('closetag', () => {
    current = current?.parent ?? null;
  });
  parser.write(text).close();
  if (!root) throw new Error('XML document without a root element');
  return { declaration, prolog, root, epilog };
}

// ── reading and changing ───────────────────────────────────────────────────────

export function elementChildren(element: XmlElement, uri?: string, local?: string): XmlElement[] {
  return element.children.filter(
    (child): child is XmlElement =>
      child.type === 'element' && (uri === undefined || child.uri === uri) && (local === undefined || child.local === local),
  );
}

/** Every element of the tree, parents before children, without recursion. */
export function allElements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const stack = [root];
  while (stack.length) {
    const element = stack.pop()!;
    out.push(element);
    const children = elementChildren(element);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return out;
}

/** An attribute without a namespace (`uri` '') or in a namespace. */
export function attribute(element: XmlElement, local: string, uri = ''): XmlAttribute | undefined {
  return element.attributes.find((a) => a.local === local && a.uri === uri && !(uri === '' && a.prefix === 'xmlns'));
}

export function setAttribute(element: XmlElement, local: string, value: string, uri = ''): void {
  const found = attribute(element, local, uri);
  if (found) found.value = value;
  else element.attributes.push({ prefix: uri ? null : '', local, uri, value });
}

export function removeAttribute(element: XmlElement, found: XmlAttribute): void {
  element.attributes = element.attributes.filter((a) => a !== found);
}

/** Removes a child, and the indentation before it so that no blank line is left. */
export function removeChild(parent: XmlElement, child: XmlNode): void {
  const index = parent.children.indexOf(child);
  if (index < 0) return;
  const before = parent.children[index - 1];
  const indentation = before?.type === 'text' && /^\s*$/.test(before.value) && /\n/.test(before.value);
  parent.children.splice(indentation ? index - 1 : index, indentation ? 2 : 1);
}

/** The concatenated text and CDATA of an element. */
export function textOf(element: XmlElement): string {
  return element.children.map((c) => (c.type === 'text' || c.type === 'cdata' ? c.value : '')).join('');
}

export function setText(element: XmlElement, value: string): void {
  element.children = [...element.children.filter((c) => c.type !== 'text' && c.type !== 'cdata'), { type: 'text', value }];
}

/** A new element in a namespace; its prefix is `prefix` or, when null, chosen when the document is written. */
export function createElement(uri: string, local: string, prefix: string | null = null, attributes: Record<string, string> = {}): XmlElement {
  return {
    type: 'element',
    prefix,
    local,
    uri,
    attributes: Object.entries(attributes).map(([name, value]) => ({ prefix: '', local: name, uri: '', value })),
    children: [],
    parent: null,
  };
}

export function appendChild(parent: XmlElement, child: XmlElement, index = parent.children.length): void {
  child.parent = parent;
  parent.children.splice(index, 0, child);
}

/** The URI a prefix stands for at an element ('' for the default namespace when none is declared). */
export function namespaceOf(element: XmlElement, prefix: string): string | undefined {
  for (let at: XmlElement | null = element; at; at = at.parent) {
    const declared = at.attributes.find((a) => a.uri === XMLNS_URI && (prefix ? a.prefix === 'xmlns' && a.local === prefix : a.local === 'xmlns' && !a.prefix));
    if (declared) return declared.value;
  }
  return prefix === 'xml' ? 'http://www.w3.org/XML/1998/namespace' : prefix ? undefined : '';
}

/** Namespace declarations (`xmlns:p="uri"`) anywhere in the document. */
export function namespaceDeclarations(root: XmlElement): { element: XmlElement; attribute: XmlAttribute; prefix: string }[] {
  const out: { element: XmlElement; attribute: XmlAttribute; prefix: string }[] = [];
  for (const element of allElements(root)) {
    for (const a of element.attributes) {
      if (a.uri === XMLNS_URI && a.prefix === 'xmlns') out.push({ element, attribute: a, prefix: a.local });
    }
  }
  return out;
}

/** Whether any element or attribute of the document is in the namespace. */
export function usesNamespace(root: XmlElement, uri: string): boolean {
  return allElements(root).some((e) => e.uri === uri || e.attributes.some((a) => a.uri === uri));
}

/**
 * The prefix added elements and attributes of `uri` are written with: the one the root declares for it, else
 * `wanted` (or `wanted2`, …) declared on the root, avoiding every prefix the document binds anywhere to another URI.
 */
export function ensurePrefix(root: XmlElement, uri: string, wanted: string): string {
  const declarations = namespaceDeclarations(root);
  const onRoot = declarations.find((d) => d.element === root && d.attribute.value === uri);
  if (onRoot) return onRoot.prefix;
  const taken = new Set(declarations.filter((d) => d.attribute.value !== uri).map((d) => d.prefix));
  let prefix = wanted;
  for (let n = 2; taken.has(prefix); n++) prefix = `${wanted}${n}`;
  root.attributes.push({ prefix: 'xmlns', local: prefix, uri: XMLNS_URI, value: uri });
  return prefix;
}

// ── writing ──────────────────────────────────────────────────────────────────

function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function qualified(prefix: string | null, local: string, uri: string, prefixOf: (uri: string) => string): string {
  const p = prefix ?? (uri ? prefixOf(uri) : '');
  return p ? `${p}:${local}` : local;
}

/**
 * The document as text, UTF-8 declared. `prefixOf` names the prefix of added nodes by namespace URI (see
 * ensurePrefix); an added node in a namespace without one is a programming error.
 */
export function serializeXml(doc: XmlDocument, prefixOf: (uri: string) => string = (uri) => {
  throw new Error(`no prefix for namespace ${uri}`);
}): string {
  const out: string[] = [];
  if (doc.declaration) {
    out.push(`<?xml version="${doc.declaration.version}" encoding="UTF-8"${doc.declaration.standalone ? ` standalone="${doc.declaration.standalone}"` : ''}?>\n`);
  }
  const writeNode = (node: XmlNode): void => {
    switch (node.type) {
      case 'text':
        out.push(escapeText(node.value));
        return;
      case 'cdata':
        out.push(`<![CDATA[${node.value.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`);
        return;
      case 'comment':
        out.push(`<!--${node.value}-->`);
        return;
      case 'pi':
        out.push(`<?${node.target}${node.body ? ` ${node.body}` : ''}?>`);
        return;
      default: {
        const name = qualified(node.prefix, node.local, node.uri, prefixOf);
        const attributes = node.attributes.map((a) => ` ${qualified(a.prefix, a.local, a.uri, prefixOf)}="${escapeAttribute(a.value)}"`).join('');
        if (!node.children.length) {
          out.push(`<${name}${attributes}/>`);
          return;
        }
        out.push(`<${name}${attributes}>`);
        for (const child of node.children) writeNode(child);
        out.push(`</${name}>`);
      }
    }
  };
  for (const node of doc.prolog) {
    writeNode(node);
    out.push('\n');
  }
  writeNode(doc.root);
  for (const node of doc.epilog) {
    out.push('\n');
    writeNode(node);
  }
  return out.join('');
}
