// Instance page: draw the process diagram with the modeler's viewer bundle (modeler/dist/viewer.js), when present.
(function () {
  'use strict';
  function list(value) {
    return value ? value.split(',').filter(Boolean) : [];
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
      .catch(function () {
        var fallback = container.querySelector('.diagram-fallback');
        if (fallback) fallback.textContent = '流程图暂时无法显示，请参阅办理过程。';
      });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
