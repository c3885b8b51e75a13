/**
 * The UI's one page: a form to start a run (generated from /api/options, the run options a request
 * may set), the runs (this process's and the history's: filter, open, compare, delete), and a run's
 * live view. The view is the HTML report's own (src/report/html.ts `reportView`), rendered by the
 * server from the run so far at each interval and drawn by the report's own chart script
 * (`pgsurgeDraw`): the charts are not written twice. At most one view request is in flight, so a
 * slow browser skips renders instead of queueing them.
 *
 * The script is plain ES2017 in a string (no build step) and only talks to its own origin; user
 * data goes into the DOM as text, never as HTML (the view's HTML is the report's, escaped there).
 */
import { renderPage } from '../report/html-page.js';

const APP_CSS = `
header.app { display: flex; align-items: center; gap: 16px; padding: 10px 24px; border-bottom: 1px solid var(--line); background: var(--card); }
header.app h1 { font-size: 18px; margin: 0; }
header.app a { color: var(--fg); text-decoration: none; }
.bar { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin: 8px 0 4px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 10px; background: var(--line); font-weight: 600; font-size: 12px; }
.badge.running, .badge.starting { background: #e3f2fd; color: #1565c0; }
.badge.finished { background: #e8f5e9; color: var(--good); }
.badge.interrupted, .badge.failed { background: #fdecea; color: var(--bad); }
form.run { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 8px 18px; }
form.run label { display: block; font-size: 12px; color: var(--muted); }
form.run input[type=text], form.run select, form.run textarea { width: 100%; font: inherit; padding: 3px 6px; }
form.run textarea { height: 2.4em; }
form.run .help { font-size: 11px; color: var(--muted); }
.err { color: var(--bad); font-size: 12px; }
.filters input, .filters select { font: inherit; padding: 2px 6px; width: 140px; }
button { font: inherit; padding: 3px 12px; cursor: pointer; }
#form-error, #run-error { white-space: pre-wrap; }
`;

const APP_JS = String.raw`
(function () {
  'use strict';
  var main = document.querySelector('main');
  var es = null, timer = null, viewBusy = false, viewAgain = false, current = null, options = null, finalShown = null;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function api(method, path, body) {
    var init = { method: method, credentials: 'same-origin', headers: { 'x-pgsurge-source': 'ui' } };
    if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (r) {
      if (r.status === 204) return { ok: true, status: 204, body: null };
      return r.json().then(function (j) { return { ok: r.ok, status: r.status, body: j }; });
    });
  }
  function num(v, d) { return v === null || v === undefined ? '-' : Number(v).toLocaleString('en-US', { maximumFractionDigits: d === undefined ? 1 : d }); }
  function leave() {
    finalShown = null;
    if (es) { es.close(); es = null; }
    if (timer) { clearInterval(timer); timer = null; }
    current = null;
    window.pgsurgeDraw([]);
  }

  // ---- home: the form and the runs ----
  function fieldInput(f) {
    var id = 'f-' + f.key;
    if (f.kind === 'flag') {
      var cb = el('input', { type: 'checkbox', id: id, name: f.key });
      cb.checked = f['default'] === true;
      return cb;
    }
    if (f.kind === 'value' && f.choices) {
      var s = el('select', { id: id, name: f.key }, [el('option', { value: '', text: f['default'] !== undefined ? '(default: ' + f['default'] + ')' : '' })]);
      f.choices.forEach(function (c) { s.appendChild(el('option', { value: c, text: c })); });
      return s;
    }
    if (f.kind === 'list') return el('textarea', { id: id, name: f.key, placeholder: (f.placeholder || '') + (f.choices ? ' — ' + f.choices.join(', ') : '') + ' (one per line)' });
    return el('input', { type: 'text', id: id, name: f.key, placeholder: f.placeholder || '' });
  }
  var FIRST = ['workloads', 'url', 'client', 'jobs', 'time', 'rate', 'scale', 'tag', 'threshold'];
  function runForm(fields, canUploadModules) {
    var form = el('form', { 'class': 'run', id: 'new-run-form' });
    var more = el('form', { 'class': 'run', id: 'more-options' });
    fields.forEach(function (f) {
      var box = el('div', { 'data-field': f.key }, [
        el('label', { 'for': 'f-' + f.key, text: f.option + (f.option === f.key ? '' : '  (' + f.key + ')') }),
        fieldInput(f),
        el('div', { 'class': 'help', text: f.help }),
        el('div', { 'class': 'err', 'data-err': f.key })
      ]);
      (FIRST.indexOf(f.key) >= 0 ? form : more).appendChild(box);
    });
    var uploads = el('input', { type: 'file', id: 'f-scripts', multiple: 'multiple', accept: '.sql,.txt,.pgbench' });
    form.insertBefore(el('div', { 'data-field': 'scripts' }, [
      el('label', { 'for': 'f-scripts', text: 'pgbench scripts (scripts)' }), uploads,
      el('div', { 'class': 'help', text: 'upload pgbench script files to run (with the workloads above, if any)' }),
      el('div', { 'class': 'err', 'data-err': 'scripts' })
    ]), form.children[1] || null);
    // Modules are code: offered only where pgsurge ui was started with --allow-module-uploads.
    var moduleUploads = canUploadModules ? el('input', { type: 'file', id: 'f-modules', multiple: 'multiple', accept: '.ts,.mts,.js,.mjs' }) : null;
    if (moduleUploads) form.insertBefore(el('div', { 'data-field': 'modules' }, [
      el('label', { 'for': 'f-modules', text: 'workload modules (modules)' }), moduleUploads,
      el('div', { 'class': 'help', text: 'upload TypeScript or JavaScript workload modules (one file each) to run with the workloads above' }),
      el('div', { 'class': 'err', 'data-err': 'modules' })
    ]), form.children[2] || null);
    var submit = el('button', { type: 'submit', id: 'start-run', text: 'Start run' });
    var wrap = el('div', {}, [form, el('details', {}, [el('summary', { text: 'More options' }), more]), el('p', {}, [submit]), el('div', { 'class': 'err', id: 'form-error' })]);
    function values() {
      var out = {};
      fields.forEach(function (f) {
        var input = document.getElementById('f-' + f.key);
        if (f.kind === 'flag') { if (input.checked !== (f['default'] === true)) out[f.key] = input.checked; return; }
        var v = input.value.trim();
        if (v === '') return;
        // One item per line; workload names have no commas, so they may also be given "a, b@3".
        out[f.key] = f.kind === 'list' ? v.split(f.key === 'workloads' ? /[\n,]/ : /\n/).map(function (x) { return x.trim(); }).filter(Boolean) : v;
      });
      return out;
    }
    function start(ev) {
      ev.preventDefault();
      Array.prototype.forEach.call(document.querySelectorAll('[data-err]'), function (e) { e.textContent = ''; });
      document.getElementById('form-error').textContent = '';
      submit.disabled = true;
      function read(input) {
        var files = Array.prototype.slice.call((input && input.files) || []);
        return Promise.all(files.map(function (f) { return f.text().then(function (t) { return { name: f.name, text: t }; }); }));
      }
      Promise.all([read(uploads), read(moduleUploads)]).then(function (sent) {
        var body = values();
        if (sent[0].length > 0) body.scripts = sent[0];
        if (sent[1].length > 0) body.modules = sent[1];
        return api('POST', '/api/runs', body);
      }).then(function (r) {
        submit.disabled = false;
        if (r.ok) { location.hash = '#/runs/' + r.body.id; return; }
        var general = [];
        (r.body.problems || []).forEach(function (p) {
          var slot = p.field && document.querySelector('[data-err="' + p.field + '"]');
          if (slot) { slot.textContent = p.message; var d = slot.closest('details'); if (d) d.open = true; }
          else general.push(p.message);
        });
        document.getElementById('form-error').textContent = general.join('\n');
      }, function (e) { submit.disabled = false; document.getElementById('form-error').textContent = String(e); });
    }
    form.addEventListener('submit', start);
    more.addEventListener('submit', start);
    submit.addEventListener('click', start);
    return wrap;
  }

  function runsTable(runs) {
    var head = el('tr', {}, ['', 'run', 'started', 'state', 'workload', 'target', 'tags', 'tps', 'p99 ms', 'failed', 'verdict', ''].map(function (h) { return el('th', { 'class': 'l', text: h }); }));
    var rows = runs.map(function (r) {
      var state = r.state || r.status;
      var over = ['finished', 'interrupted', 'failed'].indexOf(state) >= 0;
      var tags = Object.keys(r.tags || {}).map(function (k) { return k + '=' + r.tags[k]; }).join(' ');
      var del = over ? el('button', { 'class': 'delete', 'data-run': r.id, text: 'delete', onclick: function () {
        if (!confirm('Delete run ' + r.id + ' from the history?')) return;
        api('DELETE', '/api/runs/' + encodeURIComponent(r.id)).then(loadRuns);
      } }) : null;
      return el('tr', { 'data-run': r.id }, [
        el('td', {}, [el('input', { type: 'checkbox', 'class': 'pick', value: r.id })]),
        el('td', { 'class': 'l' }, [el('a', { href: '#/runs/' + encodeURIComponent(r.id), text: r.id })]),
        el('td', { 'class': 'l', text: (r.startedAt || r.createdAt || '').replace('T', ' ').slice(0, 19) }),
        el('td', { 'class': 'l' }, [el('span', { 'class': 'badge ' + state, text: state })]),
        el('td', { 'class': 'l', text: r.workload }),
        el('td', { 'class': 'l', text: r.target }),
        el('td', { 'class': 'l', text: tags }),
        el('td', { text: num(r.tps) }),
        el('td', { text: num(r.p99Ms, 3) }),
        el('td', { text: num(r.failed, 0) }),
        el('td', { 'class': r.passed === true ? 'good' : r.passed === false ? 'bad' : '', text: r.passed === true ? 'PASSED' : r.passed === false ? 'FAILED' : '' }),
        el('td', {}, [del])
      ]);
    });
    return el('table', { id: 'runs-table' }, [head].concat(rows));
  }
  function filterQuery() {
    var q = [];
    ['workload', 'target', 'tag', 'status', 'since'].forEach(function (k) {
      var v = document.getElementById('q-' + k).value.trim();
      if (v !== '') q.push(k + '=' + encodeURIComponent(v));
    });
    return q.length ? '?' + q.join('&') : '';
  }
  function loadRuns() {
    var box = document.getElementById('runs');
    if (!box) return;
    api('GET', '/api/runs' + filterQuery()).then(function (r) {
      var err = document.getElementById('runs-error');
      if (!err || !document.getElementById('runs')) return; // left the list meanwhile
      if (!r.ok) { err.textContent = r.body.error; return; }
      err.textContent = '';
      var checked = Array.prototype.map.call(document.querySelectorAll('.pick:checked'), function (c) { return c.value; });
      box.replaceChildren(runsTable(r.body.runs));
      checked.forEach(function (id) { var c = box.querySelector('.pick[value="' + id + '"]'); if (c) c.checked = true; });
    });
  }
  // ---- data loads: init of a workload, its progress streamed ----
  function loadRow(l) {
    var p = l.progress || {};
    var bar = el('progress', { max: String(p.totalRows || 1), value: String(p.totalRows ? p.rows : l.state === 'finished' ? 1 : 0) });
    var what = (p.stage || '') + (p.table ? ' ' + p.table : '');
    var rows = p.totalRows ? num(p.rows, 0) + ' / ' + num(p.totalRows, 0) + ' rows' : '';
    return el('tr', { 'data-load': l.id }, [
      el('td', { 'class': 'l', text: l.workload + (l.scale ? ' (scale ' + l.scale + ')' : '') }),
      el('td', { 'class': 'l', text: l.target }),
      el('td', { 'class': 'l' }, [el('span', { 'class': 'badge ' + (l.state === 'failed' ? 'failed' : l.state), text: l.state })]),
      el('td', { 'class': 'l', text: what }),
      el('td', {}, [bar]),
      el('td', { 'class': 'rows', text: rows }),
      el('td', { 'class': 'rate', text: p.rowsPerS ? num(p.rowsPerS, 0) + ' rows/s' : '' }),
      el('td', { 'class': 'eta', text: l.state === 'running' && p.etaS !== null && p.etaS !== undefined ? 'ETA ' + num(p.etaS) + ' s' : num(l.elapsedS) + ' s' }),
      el('td', { 'class': 'l err', text: l.error || '' })
    ]);
  }
  function showLoad(l) {
    var table = document.getElementById('loads-table');
    if (!table) return;
    var row = loadRow(l);
    var old = table.querySelector('tr[data-load="' + l.id + '"]');
    if (old) old.replaceWith(row); else table.insertBefore(row, table.firstChild);
  }
  function loadForm(names) {
    var wl = el('select', { id: 'load-workload' }, names.map(function (n) { return el('option', { value: n, text: n }); }));
    var url = el('input', { id: 'load-url', type: 'text', placeholder: 'postgres://… (required)' });
    var scale = el('input', { id: 'load-scale', type: 'text', placeholder: 'scale (pgbench tables)' });
    var err = el('div', { 'class': 'err', id: 'load-error' });
    var go = el('button', { id: 'start-load', text: 'Load data', onclick: function () {
      var body = { workload: wl.value };
      if (url.value.trim()) body.url = url.value.trim();
      if (scale.value.trim()) body.scale = scale.value.trim();
      err.textContent = '';
      api('POST', '/api/loads', body).then(function (r) {
        if (!r.ok) { err.textContent = r.body.error; return; }
        showLoad(r.body);
      });
    } });
    return el('div', {}, [el('div', { 'class': 'bar filters' }, [wl, url, scale, go]), err, el('table', { id: 'loads-table' })]);
  }
  function followLoads(after) {
    es = new EventSource('/api/events?after=' + after);
    function refresh(e) {
      var ev = JSON.parse(e.data);
      if (ev.run.indexOf('load-') !== 0) return;
      api('GET', '/api/loads/' + encodeURIComponent(ev.run)).then(function (r) { if (r.ok) showLoad(r.body); });
    }
    es.addEventListener('load', refresh);
    es.addEventListener('end', refresh);
  }

  function home() {
    leave();
    main.replaceChildren();
    api('GET', '/api/options').then(function (r) {
      options = r.body;
      if (options.canStart) main.appendChild(el('section', { id: 'start' }, [el('h2', { text: 'Start a run' }), runForm(options.fields, options.canUploadModules)]));
      if (options.canStart) {
        main.appendChild(el('section', { id: 'loads' }, [el('h2', { text: 'Load data' }), loadForm(options.loadable)]));
        api('GET', '/api/loads').then(function (x) { if (x.ok) x.body.loads.slice().reverse().forEach(showLoad); });
        followLoads(options.lastEventId);
      }
      var filters = el('div', { 'class': 'bar filters' }, [
        el('input', { id: 'q-workload', placeholder: 'workload' }),
        el('input', { id: 'q-target', placeholder: 'target' }),
        el('input', { id: 'q-tag', placeholder: 'tag KEY=VALUE' }),
        el('select', { id: 'q-status' }, ['', 'running', 'finished', 'interrupted'].map(function (s) { return el('option', { value: s, text: s || 'any state' }); })),
        el('input', { id: 'q-since', placeholder: 'since (YYYY-MM-DD)' }),
        el('button', { id: 'filter', text: 'Filter', onclick: loadRuns }),
        el('button', { id: 'compare', text: 'Compare selected', onclick: function () {
          var ids = Array.prototype.map.call(document.querySelectorAll('.pick:checked'), function (c) { return c.value; });
          if (ids.length < 2) { document.getElementById('runs-error').textContent = 'select two or more finished runs to compare'; return; }
          location.hash = '#/compare/' + ids.map(encodeURIComponent).join(',');
        } })
      ]);
      main.appendChild(el('section', {}, [el('h2', { text: options.history ? 'Runs (this session and the history)' : 'Runs' }), filters, el('div', { 'class': 'err', id: 'runs-error' }), el('div', { id: 'runs' })]));
      loadRuns();
      timer = setInterval(loadRuns, 2000);
    });
  }

  // ---- a run: controls and the live view ----
  function renderView(v) {
    var box = document.getElementById('view');
    if (!box || !v || !v.bodyHtml) return;
    box.innerHTML = v.bodyHtml;
    window.pgsurgeDraw(v.charts);
  }
  function refreshView(id) {
    if (viewBusy) { viewAgain = true; return; }
    viewBusy = true;
    api('GET', '/api/runs/' + encodeURIComponent(id) + '/view').then(function (r) {
      viewBusy = false;
      // A view asked for before the run ended must not cover the final one that came with its end.
      if (current === id && finalShown !== id && r.ok) renderView(r.body);
      if (viewAgain) { viewAgain = false; refreshView(id); }
    }, function () { viewBusy = false; });
  }
  function setInfo(info) {
    var badge = document.getElementById('run-state');
    if (!info || !badge) return; // left the run meanwhile
    badge.textContent = info.state || info.status;
    badge.className = 'badge ' + (info.state || info.status);
    var live = info.state === 'running' || info.state === 'starting';
    document.getElementById('controls').style.display = live && info.source ? '' : 'none';
    document.getElementById('adjust-label').textContent = info.loadKind === 'rate' ? 'rate (arrivals/s)' : 'active clients';
    var fixed = info.adjustable === false;
    ['adjust-label', 'adjust-value', 'adjust'].forEach(function (x) { document.getElementById(x).style.display = fixed ? 'none' : ''; });
    document.getElementById('run-error').textContent = info.error || '';
  }
  function showRun(id) {
    leave();
    current = id;
    var value = el('input', { id: 'adjust-value', type: 'text', size: '8' });
    var msg = el('span', { id: 'adjust-msg', 'class': 'note' });
    var controls = el('span', { id: 'controls', 'class': 'bar' }, [
      el('label', { id: 'adjust-label', 'for': 'adjust-value' }), value,
      el('button', { id: 'adjust', text: 'Apply', onclick: function () {
        var kind = document.getElementById('adjust-label').textContent.indexOf('rate') === 0 ? 'rate' : 'clients';
        var body = {}; body[kind] = value.value.trim();
        api('POST', '/api/runs/' + encodeURIComponent(id) + '/adjust', body).then(function (r) {
          msg.textContent = r.ok ? 'from ' + num(r.body.change.atS) + ' s: ' + num(r.body.change.target) : r.body.error;
          msg.className = r.ok ? 'note' : 'err';
        });
      } }),
      el('button', { id: 'stop', text: 'Stop', onclick: function () { api('POST', '/api/runs/' + encodeURIComponent(id) + '/stop'); } }),
      msg
    ]);
    var links = el('span', { 'class': 'note' }, ['result: ',
      el('a', { href: '/api/runs/' + encodeURIComponent(id) + '/result.json', text: 'JSON' }), ' · ',
      el('a', { href: '/api/runs/' + encodeURIComponent(id) + '/result.html', text: 'HTML' }), ' · ',
      el('a', { href: '/api/runs/' + encodeURIComponent(id) + '/result.csv', text: 'CSV' })]);
    main.replaceChildren(
      el('div', { 'class': 'bar' }, [el('a', { href: '#/', text: '← runs' }), el('strong', { text: 'run ' + id }), el('span', { id: 'run-state', 'class': 'badge' }), controls, links]),
      el('div', { 'class': 'err', id: 'run-error' }),
      el('div', { id: 'view' }, [el('p', { 'class': 'note', text: 'waiting for the first interval…' })])
    );
    api('GET', '/api/runs/' + encodeURIComponent(id)).then(function (r) {
      if (current !== id) return;
      if (!r.ok) { document.getElementById('run-error').textContent = r.body.error; return; }
      setInfo(r.body);
      refreshView(id);
      if (!r.body.source || ['finished', 'interrupted', 'failed'].indexOf(r.body.state) >= 0) return;
      es = new EventSource('/api/events?run=' + encodeURIComponent(id));
      es.addEventListener('interval', function () { refreshView(id); });
      es.addEventListener('finding', function () { refreshView(id); });
      es.addEventListener('run', function (e) { var d = JSON.parse(e.data).data; if (d.info) setInfo(d.info); else api('GET', '/api/runs/' + encodeURIComponent(id)).then(function (x) { if (x.ok) setInfo(x.body); }); });
      es.addEventListener('stage', function (e) { var d = JSON.parse(e.data).data; msg.textContent = 'from ' + num(d.atS) + ' s: ' + num(d.target); });
      es.addEventListener('end', function (e) {
        var d = JSON.parse(e.data).data;
        if (es) { es.close(); es = null; }
        if (d.view) { renderView(d.view); finalShown = id; }
        setInfo({ state: d.state, error: d.error || null });
      });
    });
  }

  function showCompare(ids) {
    leave();
    main.replaceChildren(el('div', { 'class': 'bar' }, [el('a', { href: '#/', text: '← runs' }), el('strong', { text: 'comparison' })]), el('div', { 'class': 'err', id: 'run-error' }), el('div', { id: 'view' }));
    api('POST', '/api/compare', { runs: ids }).then(function (r) {
      if (!r.ok) { document.getElementById('run-error').textContent = r.body.error; return; }
      renderView(r.body.view);
    });
  }

  function route() {
    var h = decodeURIComponent(location.hash || '#/');
    if (h.indexOf('#/runs/') === 0) showRun(h.slice(7));
    else if (h.indexOf('#/compare/') === 0) showCompare(h.slice(10).split(','));
    else home();
  }
  window.addEventListener('hashchange', route);
  route();
})();
`;

export function appPage(opts: { readonly canStart: boolean }): string {
  const header = `<header class="app"><h1><a href="#/">pgsurge</a></h1><span class="note">${opts.canStart ? 'start, watch and compare load tests' : 'live view of this run'}</span></header>`;
  // The header sits above <main>, which the script fills: renderPage puts bodyHtml inside <main>.
  return renderPage({ title: 'pgsurge', bodyHtml: '', charts: [] }, { script: APP_JS, css: APP_CSS }).replace('<main>', `${header}\n<main>`);
}
