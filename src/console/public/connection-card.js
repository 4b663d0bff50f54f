// <connection-card>: one registered connection. Its fields (secrets as set / not set only), a Test
// button (status and latency from the worker's credential check), and for sources: Sync with live
// progress, the schedule (create, pause, resume, trigger, delete), and the latest runs with links
// into the Temporal Web UI.
import { api } from './api.js';
import { fill, h, number, plural, when } from './dom.js';

const POLL_MS = 1000;
const VIA = { env: 'environment variable', file: 'file', encrypted: 'stored encrypted', inline: 'stored inline' };

function secretText(s) {
  return s.set ? `set (${VIA[s.via] || s.via})` : 'not set';
}

function progressText(p) {
  if (!p) return 'starting…';
  const parts = [p.phase, plural(p.records, 'record'), plural(p.pages, 'page')];
  if (p.slices) parts.push(`slices ${p.slices.done}/${p.slices.total} (${p.slices.running} running)`);
  if (p.total) parts.push(`${Math.min(100, Math.round((100 * p.records) / p.total))}% of ${number(p.total)}`);
  return parts.join(' · ');
}

class ConnectionCard extends HTMLElement {
  connectedCallback() {
    const c = this.connection;
    this.dataset.connection = c.id;
    this.classList.add('card', 'connection');
    this.testResult = h('span', { class: 'test-result', role: 'status' });
    this.syncStatus = h('div', { class: 'sync-status', role: 'status' });
    this.scheduleBox = h('div', { class: 'schedule' });
    this.runsBox = h('div', { class: 'runs' });
    const source = c.streams.length > 0;
    fill(this,
      h('header', {},
        h('h3', {}, c.id),
        h('span', { class: 'muted' }, `${c.connectorName} · ${c.authMethod.label}`),
        c.sandboxUrl ? h('span', { class: 'badge sandbox', title: c.sandboxUrl }, 'sandbox') : null),
      c.versionWarning ? h('p', { class: 'banner warning' }, c.versionWarning) : null,
      h('dl', { class: 'facts' },
        c.fields.map((f) => [h('dt', {}, f.label), h('dd', {}, f.value)]),
        c.secrets.map((s) => [h('dt', {}, s.label), h('dd', { class: s.set ? 'secret set' : 'secret unset', 'data-secret': s.key }, secretText(s))])),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => this.test() }, 'Test'),
        source ? h('button', { type: 'button', class: 'primary', onclick: () => this.sync() }, `Sync ${c.streams[0]}`) : null,
        this.testResult),
      source ? this.syncStatus : null,
      source ? h('section', {}, h('h4', {}, 'Schedule'), this.scheduleBox) : null,
      h('section', {}, h('h4', {}, 'Recent runs'), this.runsBox),
    );
    if (source) {
      this.renderSchedule(c.schedule);
      this.refreshSync();
    }
    this.refreshRuns();
  }

  disconnectedCallback() {
    clearTimeout(this.timer);
    this.gone = true;
  }

  async test() {
    this.testResult.className = 'test-result pending';
    this.testResult.textContent = 'Testing on a worker…';
    try {
      const r = await api(`/api/connections/${this.connection.id}/test`, { method: 'POST' });
      this.testResult.className = `test-result ${r.ok ? 'ok' : 'failed'}`;
      this.testResult.textContent = r.ok
        ? r.check === 'offline' ? 'ok: config valid (no credential-check endpoint; checked offline)' : `ok: HTTP ${r.status} in ${r.latencyMs} ms`
        : `failed: ${r.code}: ${r.message}${(r.causes || []).map((c) => ` — ${c}`).join('')}`;
    } catch (err) {
      this.testResult.className = 'test-result failed';
      this.testResult.textContent = err.message;
    }
  }

  async sync() {
    try {
      const r = await api(`/api/connections/${this.connection.id}/sync`, { method: 'POST', body: {} });
      this.syncNote = r.warning || (r.attached ? 'A sync of this stream was already running: following it.' : null);
      fill(this.syncStatus, h('p', {}, 'Starting…'));
      this.refreshSync();
    } catch (err) {
      fill(this.syncStatus, h('p', { class: 'failed' }, err.message));
    }
  }

  /** Shows the stream's sync as it stands, and keeps polling while it runs. */
  async refreshSync() {
    clearTimeout(this.timer);
    let s;
    try {
      s = await api(`/api/connections/${this.connection.id}/sync`);
    } catch (err) {
      fill(this.syncStatus, h('p', { class: 'muted' }, err.message));
      return;
    }
    if (this.gone) return;
    this.lastRunId = s.runId;
    this.syncStatus.dataset.status = s.status;
    this.syncStatus.dataset.runId = s.runId || '';
    const link = s.link ? h('a', { href: s.link, target: '_blank', rel: 'noopener noreferrer' }, 'in the Web UI') : null;
    const note = this.syncNote ? h('p', { class: 'muted' }, this.syncNote) : null;
    if (s.status === 'none') fill(this.syncStatus, h('p', { class: 'muted' }, 'Never synced.'));
    else if (s.status === 'running') {
      const p = s.progress;
      const bar = p && p.total ? h('progress', { max: p.total, value: Math.min(p.records, p.total) }) : h('progress', {});
      fill(this.syncStatus, h('p', {}, h('strong', {}, 'Syncing: '), progressText(p), ' ', link), bar, note);
      this.timer = setTimeout(() => this.refreshSync(), POLL_MS);
    } else if (s.result) {
      const r = s.result;
      const sliced = r.slices > 0 ? ` in ${plural(r.slices, 'slice')}` : '';
      fill(this.syncStatus, h('p', { class: 'ok' },
        h('strong', {}, 'Last sync completed: '), `${plural(r.records, 'record')} in ${plural(r.pages, 'page')}${sliced}; ${plural(r.storedRecords, 'record')} stored; finished ${when(r.finishedAt)} `, link));
      this.syncNote = null;
      this.refreshRuns();
    } else {
      const f = s.failure || { code: s.status, message: '' };
      fill(this.syncStatus, h('p', { class: 'failed' }, h('strong', {}, `Last sync ${s.status}: `), `${f.code}: ${f.message} `, link));
      this.syncNote = null;
      this.refreshRuns();
    }
  }

  /** A triggered schedule starts the stream's sync a moment later: watch for it (10 s at most). */
  async awaitNewRun() {
    const before = this.lastRunId;
    for (let i = 0; i < 10 && !this.gone && this.lastRunId === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      await this.refreshSync();
    }
  }

  renderSchedule(s) {
    const id = this.connection.id;
    const op = (name) => async () => {
      try {
        const r = await api(`/api/connections/${id}/schedule/${name}`, { method: 'POST', body: {} });
        this.renderSchedule(r.schedule);
        if (name === 'trigger') this.awaitNewRun();
      } catch (err) {
        this.scheduleBox.append(h('p', { class: 'failed' }, err.message));
      }
    };
    if (!s) {
      const every = h('input', { type: 'text', name: 'every', id: `every-${id}`, value: '1h', size: 6, 'aria-describedby': `every-error-${id}` });
      const error = h('p', { class: 'field-error', id: `every-error-${id}`, role: 'alert', hidden: true });
      const form = h('form', { class: 'inline-form', onsubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        try {
          const r = await api(`/api/connections/${id}/schedule`, { method: 'POST', body: { every: every.value.trim() } });
          this.renderSchedule(r.schedule);
        } catch (err) {
          error.textContent = (err.fieldErrors?.every || [err.message]).join(' ');
          error.hidden = false;
        }
      } },
      h('label', { for: every.id }, 'Run every'), every, h('button', { type: 'submit' }, 'Create schedule'), error);
      form.noValidate = true;
      fill(this.scheduleBox, h('p', { class: 'muted schedule-state', 'data-state': 'none' }, 'No schedule. Durations take a unit: 90s, 15m, 1h, 1d.'), form);
      return;
    }
    fill(this.scheduleBox,
      h('p', { class: `schedule-state ${s.state}`, 'data-state': s.state },
        h('strong', {}, s.state === 'paused' ? 'Paused' : 'Active'), ` · ${s.when.join('; ')}`,
        s.nextRun && s.state === 'active' ? ` · next ${when(s.nextRun)}` : '',
        s.lastRun ? ` · last ${when(s.lastRun)}` : '',
        ` · ${plural(s.runsTaken, 'run')} taken`),
      h('div', { class: 'actions' },
        s.state === 'paused'
          ? h('button', { type: 'button', onclick: op('resume') }, 'Resume')
          : h('button', { type: 'button', onclick: op('pause') }, 'Pause'),
        h('button', { type: 'button', onclick: op('trigger') }, 'Trigger now'),
        h('button', { type: 'button', class: 'danger', onclick: op('delete') }, 'Delete schedule')),
    );
  }

  async refreshRuns() {
    let r;
    try {
      r = await api(`/api/connections/${this.connection.id}/runs?limit=5`);
    } catch (err) {
      fill(this.runsBox, h('p', { class: 'muted' }, err.message));
      return;
    }
    if (this.gone) return;
    if (r.runs.length === 0) {
      fill(this.runsBox, h('p', { class: 'muted' }, r.message || 'No runs yet.'));
      return;
    }
    fill(this.runsBox, h('table', { class: 'runs-table' },
      h('thead', {}, h('tr', {}, ['Run', 'Kind', 'Outcome', 'Started', 'Closed', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, r.runs.map((run) => h('tr', { 'data-workflow-id': run.id, 'data-run-id': run.runId, 'data-kind': run.kind, 'data-status': run.status },
        h('td', {}, h('code', {}, run.id)),
        h('td', {}, run.kind),
        h('td', {}, h('span', { class: `status ${run.status}` }, run.status.replace('_', ' '))),
        h('td', {}, when(run.started)),
        h('td', {}, when(run.closed)),
        h('td', {}, run.link ? h('a', { href: run.link, target: '_blank', rel: 'noopener noreferrer' }, 'Web UI') : null))))));
  }
}

customElements.define('connection-card', ConnectionCard);
