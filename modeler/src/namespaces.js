// Documents that bind a prefix the modeler knows (bpmn, bpmndi, dc, di, camunda…) to another namespace
// URI, e.g. old Activiti/Camunda files with xmlns:camunda="http://activiti.org/bpmn", import fine but
// cannot be exported again by moddle-xml ("no namespace uri given for prefix <ns0>"). Before importing
// such a document, give the foreign namespace a prefix of its own; the content is kept unchanged (its
// attributes stay as generic extension attributes under their own namespace).

const XMLNS = 'http://www.w3.org/2000/xmlns/';

/**
 * Quick test without parsing: does the XML bind a known prefix to a different URI?
 *
 * @param {string} xml
 * @param {Array<{ prefix: string, uri: string }>} packages moddle packages (`moddle.getPackages()`)
 */
export function conflictingPrefixes(xml, packages) {
  const known = new Map(packages.map((p) => [ p.prefix, p.uri ]));
  const conflicts = new Map();
  for (const m of xml.matchAll(/\sxmlns:([A-Za-z_][\w.-]*)\s*=\s*(["'])(.*?)\2/g)) {
    const [ , prefix, , uri ] = m;
    if (known.has(prefix) && known.get(prefix) !== uri) conflicts.set(prefix, uri);
  }
  return conflicts;
}

function freePrefix(doc, uri, used) {
  const last = (uri.replace(/[/#]+$/, '').split(/[/#:]/).pop() || '').replace(/[^A-Za-z0-9_]/g, '');
  const base = /^[A-Za-z_][A-Za-z0-9_]*$/.test(last) && last.length <= 16 ? last.toLowerCase() : 'ext';
  let candidate = base;
  for (let n = 1; used.has(candidate) || doc.documentElement.lookupNamespaceURI(candidate); n++) {
    candidate = `${base}${n}`;
  }
  used.add(candidate);
  return candidate;
}

/**
 * @param {string} xml
 * @param {Array<{ prefix: string, uri: string }>} packages
 * @returns {{ xml: string, renamed: Array<{ from: string, to: string, uri: string }> }}
 */
export function fixNamespacePrefixes(xml, packages) {
  const conflicts = conflictingPrefixes(xml, packages);
  if (!conflicts.size || typeof DOMParser === 'undefined') return { xml, renamed: [] };

  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) return { xml, renamed: [] };

  const used = new Set(packages.map((p) => p.prefix));
  const renamed = [];
  const newPrefix = new Map();
  for (const [ prefix, uri ] of conflicts) {
    const to = freePrefix(doc, uri, used);
    newPrefix.set(uri, to);
    renamed.push({ from: prefix, to, uri });
  }

  const rename = (node) => {
    for (const attr of [ ...node.attributes ]) {
      if (attr.namespaceURI === XMLNS && conflicts.has(attr.localName) && conflicts.get(attr.localName) === attr.value) {
        node.removeAttributeNode(attr);
      } else if (attr.namespaceURI && newPrefix.has(attr.namespaceURI)) {
        node.removeAttributeNode(attr);
        node.setAttributeNS(attr.namespaceURI, `${newPrefix.get(attr.namespaceURI)}:${attr.localName}`, attr.value);
      }
    }
    let current = node;
    if (node.namespaceURI && newPrefix.has(node.namespaceURI)) {
      current = doc.createElementNS(node.namespaceURI, `${newPrefix.get(node.namespaceURI)}:${node.localName}`);
      for (const attr of [ ...node.attributes ]) current.setAttributeNodeNS(attr.cloneNode());
      while (node.firstChild) current.appendChild(node.firstChild);
      node.parentNode.replaceChild(current, node);
    }
    for (const child of [ ...current.children ]) rename(child);
  };
  rename(doc.documentElement);
  for (const [ uri, prefix ] of newPrefix) {
    doc.documentElement.setAttributeNS(XMLNS, `xmlns:${prefix}`, uri);
  }

  const declaration = /^\s*<\?xml[^?]*\?>/.exec(xml);
  const body = new XMLSerializer().serializeToString(doc);
  return { xml: `${declaration ? declaration[0].replace(/encoding=["'][^"']*["']/, 'encoding="UTF-8"') + '\n' : ''}${body}`, renamed };
}
