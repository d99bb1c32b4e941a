// Small enhancements for the staff pages (CSP: no inline scripts). Everything works without it.
(function () {
  'use strict';
  function onReady(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
    else fn();
  }
  // A list that is really a table (名称：数 per line) is edited as rows; the textarea stays the submitted field, so the
  // server reads the same text with or without this script.
  function tableEditor(textarea) {
    var columns;
    try {
      columns = JSON.parse(textarea.getAttribute('data-table-columns'));
    } catch (e) {
      return;
    }
    if (!columns || !columns.length) return;
    var separator = textarea.getAttribute('data-table-separator') || '：';
    var splitter = separator === '，' ? /[,，\t|｜]/ : /[:：]/;
    var errorRow = Number(textarea.getAttribute('data-error-row') || 0);
    var describedBy = textarea.getAttribute('aria-describedby');
    var field = textarea.closest('.field');
    var label = field && field.querySelector('label');
    var labelText = label ? label.textContent.replace(/\s+/g, ' ').trim() : '';

    function cellsOf(line) {
      var cells = [];
      var rest = line;
      while (cells.length < columns.length - 1) {
        var m = splitter.exec(rest);
        if (!m) break;
        cells.push(rest.slice(0, m.index).trim());
        rest = rest.slice(m.index + m[0].length);
      }
      cells.push(rest.trim());
      while (cells.length < columns.length) cells.push('');
      return cells;
    }

    var wrap = document.createElement('div');
    wrap.className = 'table-editor';
    var table = document.createElement('table');
    table.className = 'rows';
    if (labelText) table.setAttribute('aria-label', labelText);
    var head = table.createTHead().insertRow();
    var th = document.createElement('th');
    th.textContent = '行';
    head.appendChild(th);
    columns.forEach(function (column) {
      var cell = document.createElement('th');
      cell.textContent = column.label + (column.optional ? '（可空）' : '');
      if (column.numeric) cell.className = 'num';
      head.appendChild(cell);
    });
    head.appendChild(document.createElement('th'));
    var body = table.createTBody();

    function sync() {
      var lines = [];
      Array.prototype.forEach.call(body.rows, function (row) {
        var values = Array.prototype.map.call(row.querySelectorAll('input'), function (input) { return input.value.trim(); });
        // A row left empty stays an empty line, so the rows keep the numbers the server's messages use.
        lines.push(values.every(function (v) { return v === ''; }) ? '' : values.join(separator));
      });
      while (lines.length && lines[lines.length - 1] === '') lines.pop();
      textarea.value = lines.join('\n');
    }

    function renumber() {
      Array.prototype.forEach.call(body.rows, function (row, i) {
        row.cells[0].textContent = String(i + 1);
        Array.prototype.forEach.call(row.querySelectorAll('input'), function (input, c) {
          input.setAttribute('aria-label', '第 ' + (i + 1) + ' 行：' + columns[c].label);
        });
        row.querySelector('button').setAttribute('aria-label', '删除第 ' + (i + 1) + ' 行');
      });
    }

    function addRow(cells) {
      var row = body.insertRow();
      row.insertCell().className = 'row-no';
      columns.forEach(function (column, c) {
        var input = document.createElement('input');
        input.type = 'text';
        input.value = cells[c] || '';
        if (column.numeric) input.setAttribute('inputmode', 'decimal');
        if (describedBy) input.setAttribute('aria-describedby', describedBy);
        input.addEventListener('input', sync);
        var cell = row.insertCell();
        if (column.numeric) cell.className = 'num';
        cell.appendChild(input);
      });
      var remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'small link remove-row';
      remove.textContent = '删除';
      remove.addEventListener('click', function () {
        body.removeChild(row);
        if (!body.rows.length) addRow([]);
        renumber();
        sync();
      });
      row.insertCell().appendChild(remove);
      return row;
    }

    var lines = textarea.value.split(/\r?\n/);
    while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
    lines.forEach(function (line) { addRow(line.trim() ? cellsOf(line) : []); });
    if (!body.rows.length) addRow([]);
    renumber();

    var add = document.createElement('button');
    add.type = 'button';
    add.className = 'small add-row';
    add.textContent = '添加一行';
    add.addEventListener('click', function () {
      var row = addRow([]);
      renumber();
      row.querySelector('input').focus();
    });

    wrap.appendChild(table);
    wrap.appendChild(add);
    textarea.hidden = true;
    textarea.parentNode.insertBefore(wrap, textarea.nextSibling);
    if (label) label.removeAttribute('for');
    var hint = field && field.querySelector('.table-format.no-script');
    if (hint) hint.hidden = true;
    var bad = errorRow && body.rows[errorRow - 1];
    if (bad) {
      bad.className = 'row-invalid';
      Array.prototype.forEach.call(bad.querySelectorAll('input'), function (input) { input.setAttribute('aria-invalid', 'true'); });
    }
  }

  // File inputs with limits: files over them are named at once, and the form is not sent with them (the server checks
  // again; this only saves waiting for an upload that would be refused).
  function fileLimits(input) {
    var maxBytes = Number(input.getAttribute('data-max-bytes'));
    var maxFiles = Number(input.getAttribute('data-max-files')) || Infinity;
    var maxTotal = Number(input.getAttribute('data-max-total-bytes')) || Infinity;
    var mb = function (bytes) { return Math.round(bytes / 1048576) + ' MB'; };
    var note = document.createElement('p');
    note.className = 'error';
    note.id = input.id + '_limits';
    note.hidden = true;
    input.parentNode.insertBefore(note, input.nextSibling);
    function problems() {
      var files = Array.prototype.slice.call(input.files || []);
      var found = files.filter(function (f) { return f.size > maxBytes; }).map(function (f) { return '附件“' + f.name + '”过大（最大 ' + mb(maxBytes) + '）'; });
      if (files.length > maxFiles) found.push('一次最多 ' + maxFiles + ' 个附件，已选 ' + files.length + ' 个');
      var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
      if (total > maxTotal && !found.length) found.push('附件合计 ' + mb(total) + '，超过 ' + mb(maxTotal));
      return found;
    }
    function check() {
      var found = problems();
      note.textContent = found.length ? found.join('；') + '。请重新选择。' : '';
      note.hidden = !found.length;
      if (found.length) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
      var described = (input.getAttribute('aria-describedby') || '').split(' ').filter(function (id) { return id && id !== note.id; });
      if (found.length) described.unshift(note.id);
      input.setAttribute('aria-describedby', described.join(' '));
      return found.length === 0;
    }
    input.addEventListener('change', check);
    if (input.form) {
      input.form.addEventListener('submit', function (event) {
        if (!check()) {
          event.preventDefault();
          input.focus();
        }
      });
    }
  }

  onReady(function () {
    Array.prototype.forEach.call(document.querySelectorAll('textarea[data-table-columns]'), tableEditor);
    Array.prototype.forEach.call(document.querySelectorAll('input[type="file"][data-max-bytes]'), fileLimits);
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
    // Put the keyboard focus on the first field with an error (in a table, on the row it names).
    var field = document.querySelector('.field.invalid');
    var invalid = field && (field.querySelector('tr.row-invalid input') || field.querySelector('input, select, textarea:not([hidden])'));
    if (invalid) invalid.focus();
    // Notice page: print button.
    var print = document.querySelector('[data-print]');
    if (print) print.addEventListener('click', function () { window.print(); });
  });
})();
