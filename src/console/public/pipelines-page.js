// <pipelines-page>: pipelines (read-only) with their delivery ledger's counts, and the records each
// could not deliver with the destination's reason. Changes are made with `pipeline pipelines …`.
import { api } from './api.js';
import { failure, fill, h, number, when } from './dom.js';

const COUNTED = ['delivered', 'dead', 'unknown', 'failed', 'filtered'];

class PipelinesPage extends HTMLElement {
  async connectedCallback() {
    fill(this, h('p', { class: 'muted' }, 'Loading pipelines…'));
    let data;
    try {
      data = await api('/api/pipelines');
    } catch (err) {
      fill(this, failure(err));
      return;
    }
    if (data.pipelines.length === 0) {
      fill(this, h('h1', {}, 'Pipelines'), h('p', { class: 'muted' }, 'No pipelines. Create one with `pipeline pipelines create <id> --from <connection>:<stream> --to <connection> --map <file>`.'));
      return;
    }
    fill(this,
      h('h1', {}, 'Pipelines'),
      h('p', { class: 'lead' }, 'Each record version is delivered once, and recorded in the pipeline\'s ledger. Read-only here: `pipeline pipelines run | replay | update` act on them.'),
      h('table', { class: 'pipelines-table' },
        h('thead', {}, h('tr', {}, ['Pipeline', 'From', 'To', ...COUNTED, 'Last run', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, data.pipelines.map((p) => this.row(p)))),
      (this.dead = h('div', { class: 'dead-letters' })),
    );
  }

  row(p) {
    const stuck = p.ledger.dead + p.ledger.unknown + p.ledger.failed;
    return h('tr', { 'data-pipeline': p.id },
      h('td', {}, h('strong', {}, p.id), p.note ? h('div', { class: 'muted' }, p.note) : null),
      h('td', {}, `${p.source.connectionId}:${p.source.stream}`),
      h('td', {}, p.destination.connectionId),
      COUNTED.map((s) => h('td', { class: `count ${s}` }, number(p.ledger[s]))),
      h('td', {}, when(p.lastRunAt) || 'never'),
      h('td', {}, stuck ? h('button', { type: 'button', onclick: () => this.showDead(p.id) }, 'Dead letters') : null));
  }

  async showDead(id) {
    fill(this.dead, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const d = await api(`/api/pipelines/${encodeURIComponent(id)}/dead`);
      fill(this.dead,
        h('h2', {}, `Not delivered by ${id} (${number(d.total)})`),
        h('table', {},
          h('thead', {}, h('tr', {}, ['Record', 'State', 'Code', 'At', 'Reason'].map((t) => h('th', {}, t)))),
          h('tbody', {}, d.entries.map((e) => h('tr', {},
            h('td', {}, h('code', {}, e.recordId)), h('td', {}, e.state), h('td', {}, e.code || ''), h('td', {}, when(e.at)), h('td', {}, e.reason || ''))))),
        d.total > d.entries.length ? h('p', { class: 'muted' }, `… and ${number(d.total - d.entries.length)} more: pipeline pipelines dead ${id} --all`) : null,
        h('p', { class: 'muted' }, `After a fix: pipeline pipelines replay ${id}`),
      );
    } catch (err) {
      fill(this.dead, failure(err));
    }
  }
}

customElements.define('pipelines-page', PipelinesPage);
