// Instance page: draw the process diagram with the modeler's viewer bundle (modeler/dist/viewer.js), when present.
(function () {
  'use strict';
  // The viewer bundle opens a wide diagram at a readable scale around data-focus (the current step).
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
          focus: container.getAttribute('data-focus') || null,
        });
      })
      .then(function () {
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
