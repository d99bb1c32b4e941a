// Instance page: draw the process diagram with the modeler's viewer bundle (modeler/dist/viewer.js), when present.
(function () {
  'use strict';
  // Below MIN_FIT_SCALE the whole diagram would be too small to read; it is then shown at READABLE_SCALE (or less,
  // down to MIN_FIT_SCALE, so that its whole height fits) around the element in data-focus (the current step), and
  // can be dragged and zoomed.
  var MIN_FIT_SCALE = 0.7;
  var READABLE_SCALE = 0.85;
  function list(value) {
    return value ? value.split(',').filter(Boolean) : [];
  }
  function focusOn(viewer, id) {
    var canvas = viewer.get('canvas');
    if (canvas.viewbox().scale >= MIN_FIT_SCALE) return;
    var outer = canvas.viewbox().outer;
    var height = canvas.viewbox().inner.height + 40;
    canvas.zoom(Math.max(MIN_FIT_SCALE, Math.min(READABLE_SCALE, outer.height / height)));
    var box = canvas.viewbox();
    var inner = box.inner;
    var element = id ? viewer.get('elementRegistry').get(id) : null;
    var cx = element ? element.x + element.width / 2 : inner.x + box.width / 2;
    // Vertically the whole height when it fits, else around the element.
    var cy = inner.height <= box.height || !element ? inner.y + inner.height / 2 : element.y + element.height / 2;
    // No empty canvas beyond the diagram's ends.
    var margin = 20;
    var x = Math.max(inner.x - margin, Math.min(cx - box.width / 2, inner.x + inner.width + margin - box.width));
    canvas.viewbox({ x: x, y: cy - box.height / 2, width: box.width, height: box.height });
  }
  function start() {
    var container = document.getElementById('diagram');
    if (!container || typeof window.renderDiagram !== 'function') return;
    fetch(container.getAttribute('data-xml-url'), { credentials: 'same-origin', headers: { Accept: 'application/xml' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.text();
      })
      .then(function (xml) {
        var fallback = container.querySelector('.diagram-fallback');
        if (fallback) fallback.remove();
        container.classList.add('rendered');
        return window.renderDiagram(container, xml, {
          completed: list(container.getAttribute('data-completed')),
          active: list(container.getAttribute('data-active')),
          incident: list(container.getAttribute('data-incident')),
        });
      })
      .then(function (result) {
        if (result && result.viewer) focusOn(result.viewer, container.getAttribute('data-focus'));
        container.setAttribute('data-rendered', 'true');
      })
      .catch(function () {
        var fallback = container.querySelector('.diagram-fallback');
        if (!fallback) {
          fallback = document.createElement('p');
          fallback.className = 'muted diagram-fallback';
          container.insertBefore(fallback, container.firstChild);
        }
        fallback.textContent = '流程图暂时无法显示，请参阅办理过程。';
        container.setAttribute('data-rendered', 'error');
      });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
