// Small enhancements for the staff pages (CSP: no inline scripts). Everything works without it.
(function () {
  'use strict';
  function onReady(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
    else fn();
  }
  onReady(function () {
    // Approval steps: the opinion's required mark follows the chosen decision (required unless 通过).
    var decision = document.querySelector('[data-decision]');
    var opinion = document.querySelector('[data-opinion]');
    if (decision && opinion) {
      var mark = opinion.querySelector('[data-opinion-mark]');
      var textarea = opinion.querySelector('textarea');
      var update = function () {
        var checked = decision.querySelector('input:checked');
        var needed = !!checked && checked.value !== 'approve';
        if (mark) mark.hidden = !needed;
        if (textarea) textarea.required = needed;
      };
      decision.addEventListener('change', update);
      update();
    }
    // Put the keyboard focus on the first field with an error.
    var invalid = document.querySelector('.invalid input, .invalid select, .invalid textarea');
    if (invalid) invalid.focus();
    // Notice page: print button.
    var print = document.querySelector('[data-print]');
    if (print) print.addEventListener('click', function () { window.print(); });
  });
})();
