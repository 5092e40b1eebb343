// The Sagaflow inspector page. Plain JS, no build step. Every value from the server goes into the
// DOM as text (textContent, attributes set one by one), never as HTML, so record contents cannot
// inject markup or script; the server's Content-Security-Policy forbids inline script as well.
'use strict';

const state = { info: null, view: null, timer: null, lag: {}, replay: null };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

async function api(path, options) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    throw new Error('the inspector server does not answer (' + e.message + '); is `sagaflow ui` still running?');
  }
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok) {
    const err = new Error((body && body.error) || ('HTTP ' + response.status));
    err.status = response.status;
    throw err;
  }
  return body;
}

function showError(message) {
  const banner = document.getElementById('error');
  banner.textContent = message || '';
  banner.hidden = !message;
  document.getElementById('live').classList.toggle('stale', !!message);
}

// Whether a view got the same data as last time: then the DOM stays as it is (no flicker, text
// selections and open details survive the polling).
function unchanged(view, data) {
  const json = JSON.stringify(data);
  if (view.last === json) return true;
  view.last = json;
  return false;
}

function pill(status) { return el('span', { class: 'pill ' + status, 'data-status': status }, status); }
function time(iso) { return iso ? new Date(iso).toISOString().replace('T', ' ').replace('Z', '') : '-'; }
function ms(n) { return n < 1000 ? n + ' ms' : (n / 1000).toFixed(n < 10000 ? 2 : 1) + ' s'; }
function param(name) { return new URLSearchParams(location.hash.split('?')[1] || '').get(name); }

// ------------------------------------------------------------------ sagas

// Each view numbers its requests (seq): typing in a filter and the polling overlap, and an older
// answer arriving late must not overwrite a newer one.
const sagasView = {
  seq: 0,
  filters: { status: '', saga: '', topic: '', q: '' },
  mount(main) {
    const f = this.filters;
    const select = (id, label, key) => el('label', {}, label + ' ',
      el('select', { id, onchange: e => { f[key] = e.target.value; this.refresh(); } }, el('option', { value: '' }, 'all')));
    main.append(
      el('h2', {}, 'Sagas'),
      el('div', { class: 'filters' },
        select('filter-status', 'Status', 'status'),
        select('filter-saga', 'Saga', 'saga'),
        select('filter-topic', 'Topic', 'topic'),
        el('input', { id: 'search-tx', type: 'search', placeholder: 'transaction id', size: 40, value: f.q,
          oninput: e => { f.q = e.target.value; this.refresh(); } }),
        el('span', { id: 'sagas-count', class: 'muted' })),
      el('div', { id: 'sagas-message', class: 'note', hidden: true }),
      el('table', { id: 'sagas-table' },
        el('thead', {}, el('tr', {}, ['Status', 'Saga', 'Transaction', 'Topic', 'Started', 'Effects', 'Last effect',
          'Error'].map(h => el('th', {}, h)))),
        el('tbody')));
  },
  fillSelect(id, values, current) {
    const s = document.getElementById(id);
    const want = ['', ...values];
    const have = [...s.options].map(o => o.value);
    if (want.join('\u0000') !== have.join('\u0000')) {
      s.replaceChildren(...want.map(v => el('option', { value: v }, v === '' ? 'all' : v)));
    }
    s.value = current;
  },
  async refresh() {
    const f = this.filters;
    const qs = new URLSearchParams(f).toString();
    const seq = ++this.seq;
    const data = await api('/api/sagas?' + qs);
    if (state.view !== this || seq !== this.seq || unchanged(this, data)) return;
    this.fillSelect('filter-status', ['running', 'waiting', 'compensating', 'completed', 'failed', 'malformed'], f.status);
    this.fillSelect('filter-saga', data.sagas, f.saga);
    this.fillSelect('filter-topic', data.topics, f.topic);
    document.getElementById('sagas-count').textContent =
      data.matched + ' of ' + data.total + ' runs' + Object.entries(data.counts).map(([k, v]) => ' · ' + v + ' ' + k).join('');
    const message = document.getElementById('sagas-message');
    message.textContent = data.message || (data.total === 0 ? 'No saga runs yet: no journal topic (*-saga-journal)'
      + ' holds a run. Durable saga consumers write one per consumer group.' : '');
    message.hidden = !message.textContent;
    const rows = data.runs.map(r => el('tr', {
      class: 'link saga-row', 'data-tx': r.transactionId, 'data-key': r.runKey, 'data-saga': r.saga,
      onclick: () => { location.hash = '#/saga?journal=' + encodeURIComponent(r.journalTopic) + '&key=' + encodeURIComponent(r.runKey); }
    },
      el('td', {}, pill(r.status)),
      el('td', {}, r.saga || '-'),
      el('td', { class: 'mono' }, r.transactionId || r.runKey),
      el('td', {}, r.topic || '-'),
      el('td', { class: 'mono' }, time(r.startedAt)),
      el('td', {}, r.effects ?? '-'),
      el('td', { class: 'mono' }, r.lastEffect || '-'),
      el('td', { class: 'mono' }, r.error || '')));
    document.querySelector('#sagas-table tbody').replaceChildren(...rows);
    showError(data.problem);
  }
};

// ------------------------------------------------------------------ one saga

const sagaView = {
  mount(main) {
    main.append(el('p', {}, el('a', { href: '#/sagas', id: 'back' }, '← all sagas')), el('div', { id: 'saga' }));
  },
  async refresh() {
    const journal = param('journal'), key = param('key');
    const box = document.getElementById('saga');
    let s;
    try {
      s = await api('/api/saga?journal=' + encodeURIComponent(journal || '') + '&key=' + encodeURIComponent(key || ''));
    } catch (e) {
      if (e.status === 404 || e.status === 400) {
        box.replaceChildren(el('div', { class: 'banner', id: 'saga-missing' }, e.message));
        return;
      }
      throw e;
    }
    if (state.view !== this || unchanged(this, s)) return;
    const head = el('div', { class: 'card' },
      el('h2', {}, 'Saga ', s.saga || '?', ' ', pill(s.status)),
      el('dl', { class: 'kv' },
        el('dt', {}, 'transaction'), el('dd', { class: 'mono', id: 'saga-tx' }, s.transactionId || '-'),
        el('dt', {}, 'run key'), el('dd', { class: 'mono' }, s.runKey),
        el('dt', {}, 'journal'), el('dd', { class: 'mono' }, s.journalTopic + '-' + s.partition + '@' + s.offset),
        el('dt', {}, 'started'), el('dd', { class: 'mono' }, time(s.startedAt)),
        el('dt', {}, 'input'), el('dd', {}, s.input ? [s.input.topic, s.input.position ? ' (' + s.input.position + ')' : '',
          el('pre', { class: 'payload' }, s.input.payload ?? 'null')] : '-')),
      s.error ? el('pre', { class: 'error', id: 'saga-error' }, s.error) : null);
    const waits = (s.waitingFor || []);
    const waiting = waits.length === 0 ? null : el('div', { class: 'card', id: 'waits-for' },
      el('h2', {}, 'Waiting for'),
      el('ul', {}, waits.map(w => el('li', {}, el('span', { class: 'mono' }, w.id), ' ', w.what,
        w.deadline ? el('span', { class: 'deadline' }, ' — deadline ' + time(w.deadline) + ' (' +
          (w.remainingMillis >= 0 ? 'in ' + ms(w.remainingMillis) : 'passed ' + ms(-w.remainingMillis) + ' ago') + ')') : null))));
    const effects = el('ol', { id: 'timeline' }, (s.effects || []).map(e => el('li', {
      class: 'effect ' + e.status + (e.compensation ? ' compensation' : '') + (e.id.includes('/') ? ' nested' : ''),
      'data-id': e.id, 'data-kind': e.kind, 'data-status': e.status
    },
      el('div', { class: 'effect-head' },
        el('span', { class: 'mono effect-id' }, '#' + e.id),
        el('span', { class: 'effect-kind' }, e.kind),
        el('span', { class: 'mono effect-detail' }, e.detail || ''),
        pill(e.status),
        e.compensation ? el('span', { class: 'pill compensating' }, 'compensation') : null,
        el('span', { class: 'muted mono' }, time(e.at) + '  +' + ms(e.offsetMillis) + '  took ' + ms(e.durationMillis)),
        e.deadline ? el('span', { class: 'muted deadline' }, 'deadline ' + time(e.deadline)) : null),
      e.result !== null && e.result !== undefined ? el('pre', { class: 'result' }, e.result) : null,
      e.error ? el('pre', { class: 'error' }, e.error) : null)));
    box.replaceChildren(...[head, waiting].filter(Boolean), el('h2', {}, 'Timeline'),
      s.effects && s.effects.length ? effects : el('p', { class: 'muted' }, 'No effects journaled.'));
    showError(s.problem);
  }
};

// ------------------------------------------------------------------ consumer groups

const groupsView = {
  slower: 2,
  mount(main) {
    main.append(el('h2', {}, 'Consumer groups'), el('div', { id: 'groups-note', class: 'note' }), el('div', { id: 'groups' }));
  },
  chart(history) {
    const w = 240, h = 48, max = Math.max(1, ...history.map(p => p.lag));
    const n = history.length;
    const pts = history.map((p, i) => (n === 1 ? w : (i * w / (n - 1))).toFixed(1) + ',' + (h - 2 - (p.lag * (h - 4) / max)).toFixed(1));
    const s = svg('svg', { class: 'lag-chart', width: w, height: h, viewBox: '0 0 ' + w + ' ' + h });
    const line = svg('polyline', { points: pts.join(' ') });
    const title = svg('title', {});
    title.textContent = 'total lag over the last ' + n + ' samples (max ' + max + ')';
    s.append(title, line);
    return s;
  },
  async refresh() {
    const data = await api('/api/groups');
    if (state.view !== this) return;
    document.getElementById('groups-note').textContent = data.note;
    const blocks = data.groups.map(g => {
      const history = state.lag[g.group] = (state.lag[g.group] || []).concat([{ t: data.at, lag: g.totalLag }]).slice(-120);
      return el('div', { class: 'group card', 'data-group': g.group },
        el('div', { class: 'effect-head' }, el('h2', {}, g.group), el('span', { class: 'muted' }, g.state),
          el('span', { class: 'total-lag' }, 'total lag ' + g.totalLag), this.chart(history)),
        g.partitions.length === 0 ? el('p', { class: 'muted' }, 'no committed offsets') :
          el('table', { class: 'lag' },
            el('thead', {}, el('tr', {}, ['Topic', 'Partition', 'Committed', 'End', 'Lag'].map(h => el('th', {}, h)))),
            el('tbody', {}, g.partitions.map(p => el('tr', { 'data-topic': p.topic, 'data-partition': p.partition },
              el('td', {}, p.topic), el('td', {}, p.partition), el('td', {}, p.committed), el('td', {}, p.end),
              el('td', { class: 'lag-value' }, p.lag))))));
    });
    document.getElementById('groups').replaceChildren(...(blocks.length ? blocks : [el('p', { class: 'muted' }, 'No consumer groups.')]));
    showError(null);
  }
};

// ------------------------------------------------------------------ dead letters

const dlqView = {
  topic: '', exception: '', key: '', slower: 3, seq: 0,
  mount(main) {
    const allow = state.info && state.info.allowReplay;
    main.append(el('h2', {}, 'Dead letters'),
      el('div', { class: 'filters' },
        el('label', {}, 'Topic ', el('select', { id: 'dlq-topic', onchange: e => { this.topic = e.target.value; this.refresh(); } })),
        el('input', { id: 'dlq-exception', placeholder: 'exception class (part of)', value: this.exception,
          oninput: e => { this.exception = e.target.value; this.refresh(); } }),
        el('input', { id: 'dlq-key', placeholder: 'exact key', value: this.key,
          oninput: e => { this.key = e.target.value; this.refresh(); } }),
        allow ? el('button', { id: 'replay-button', type: 'button', onclick: () => this.confirmReplay() }, 'Replay matching letters…')
          : el('span', { class: 'muted', id: 'read-only' }, 'Read-only: start `sagaflow ui --allow-replay` to replay from here.'),
        el('span', { id: 'dlq-count', class: 'muted' })),
      el('div', { id: 'replay-status', hidden: true }, el('progress', { id: 'replay-progress', max: 1, value: 0 }), ' ',
        el('span', { id: 'replay-text' })),
      el('table', { id: 'letters' },
        el('thead', {}, el('tr', {}, ['Where', 'Key', 'From', 'Exception', 'Attempts', 'Failed at', 'Value'].map(h => el('th', {}, h)))),
        el('tbody')));
  },
  query() {
    return new URLSearchParams({ topic: this.topic, exception: this.exception, key: this.key }).toString();
  },
  async refresh() {
    const seq = ++this.seq;
    const topics = (await api('/api/dlq/topics')).topics;
    if (state.view !== this || seq !== this.seq) return;
    if (!topics.includes(this.topic)) this.topic = topics[0] || '';
    const s = document.getElementById('dlq-topic');
    if ([...s.options].map(o => o.value).join() !== topics.join()) s.replaceChildren(...topics.map(t => el('option', { value: t }, t)));
    s.value = this.topic;
    const body = document.querySelector('#letters tbody');
    if (!this.topic) {
      body.replaceChildren();
      document.getElementById('dlq-count').textContent = 'no dead-letter topics (*-dlt)';
      showError(null);
      return;
    }
    const data = await api('/api/dlq?' + this.query());
    if (state.view !== this || seq !== this.seq || unchanged(this, data)) return;
    document.getElementById('dlq-count').textContent = data.matched + ' matching' + (data.shown < data.matched ? ' (first ' + data.shown + ' shown)' : '');
    body.replaceChildren(...data.letters.map(l => el('tr', { class: 'letter', 'data-key': l.key },
      el('td', { class: 'mono' }, data.topic + '-' + l.partition + '@' + l.offset),
      el('td', { class: 'mono' }, l.key ?? '(null)'),
      el('td', { class: 'mono original' }, (l.originalTopic || '?') + '-' + l.originalPartition + '@' + l.originalOffset,
        l.consumerGroup ? el('div', { class: 'muted' }, 'group ' + l.consumerGroup) : null),
      el('td', {}, el('div', { class: 'mono exception' }, l.exceptionClass || '-'),
        l.exceptionCauseClass ? el('div', { class: 'muted mono' }, 'cause ' + l.exceptionCauseClass) : null,
        el('div', { class: 'message' }, l.exceptionMessage || ''),
        l.stackTrace ? el('details', {}, el('summary', {}, 'stack trace'), el('pre', {}, l.stackTrace)) : null),
      el('td', {}, l.attempts),
      el('td', { class: 'mono' }, time(l.failedAt)),
      el('td', {}, el('pre', { class: 'payload' }, l.value ?? 'null')))));
    showError(null);
  },
  confirmReplay() {
    const modal = document.getElementById('confirm');
    const count = document.getElementById('dlq-count').textContent;
    document.getElementById('confirm-text').textContent = 'Copy the dead letters of ' + this.topic + ' that match'
      + (this.exception ? ' exception "' + this.exception + '"' : '') + (this.key ? ' key "' + this.key + '"' : '')
      + ' (' + count + ') back to their original topics? Letters replayed before are skipped.';
    modal.hidden = false;
    document.getElementById('confirm-no').onclick = () => { modal.hidden = true; };
    document.getElementById('confirm-yes').onclick = () => { modal.hidden = true; this.replay(); };
  },
  async replay() {
    const button = document.getElementById('replay-button');
    button.disabled = true;
    document.getElementById('replay-status').hidden = false;
    document.getElementById('replay-text').textContent = 'starting…';
    try {
      const started = await api('/api/dlq/replay', {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Sagaflow-Action': 'replay' },
        body: JSON.stringify({ topic: this.topic, exception: this.exception, key: this.key })
      });
      for (;;) {
        const p = await api('/api/dlq/replay?id=' + started.id);
        const bar = document.getElementById('replay-progress');
        if (bar) {
          bar.max = Math.max(1, p.total);
          bar.value = p.done ? bar.max : p.seen;
          document.getElementById('replay-text').textContent = (p.done ? 'done: ' : '') + p.seen + '/' + Math.max(0, p.total)
            + ' · replayed ' + p.replayed + ' · skipped ' + p.skipped + ' · failed ' + p.failed + (p.error ? ' · ' + p.error : '');
          document.getElementById('replay-status').dataset.done = p.done;
        }
        if (p.done) break;
        await new Promise(r => setTimeout(r, 250));
      }
    } catch (e) {
      document.getElementById('replay-text').textContent = 'replay refused: ' + e.message;
    } finally {
      if (button) button.disabled = false;
    }
  }
};

// ------------------------------------------------------------------ routing and polling

function route() {
  const hash = location.hash || '#/sagas';
  const name = hash.slice(2).split('?')[0];
  const view = { sagas: sagasView, saga: sagaView, groups: groupsView, dlq: dlqView }[name] || sagasView;
  for (const a of document.querySelectorAll('header nav a')) {
    a.classList.toggle('active', a.id === 'nav-' + (name === 'saga' ? 'sagas' : name));
  }
  state.view = view;
  view.last = null;
  const main = document.getElementById('view');
  main.replaceChildren();
  view.mount(main);
  poll();
}

async function poll() {
  clearTimeout(state.timer);
  const view = state.view;
  try {
    await view.refresh();
  } catch (e) {
    if (view === state.view) showError(e.message);
  }
  // Lag and dead letters cost the cluster more to read (a consumer scans a dead-letter topic): slower.
  const every = ((state.info && state.info.refreshMillis) || 1000) * (view.slower || 1);
  if (view === state.view) state.timer = setTimeout(poll, every);
}

async function start() {
  try {
    state.info = await api('/api/info');
    document.getElementById('cluster').textContent = state.info.bootstrapServers + ' (' + state.info.securityProtocol + ')'
      + (state.info.allowReplay ? ' · replay allowed' : ' · read-only');
  } catch (e) {
    showError(e.message);
  }
  window.addEventListener('hashchange', route);
  route();
}

start();
