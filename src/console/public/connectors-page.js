// <connectors-page>: every connector of the registry, grouped by category, with what it can do, how
// it authenticates, the rate the engine holds it to (and per what), and its pinned API version.
import { api } from './api.js';
import { failure, fill, h } from './dom.js';

function card(c) {
  return h('article', { class: 'card connector', 'data-connector': c.id },
    h('header', {}, h('h3', {}, c.name), h('code', {}, c.id)),
    h('p', { class: 'description' }, c.description),
    h('ul', { class: 'badges', 'aria-label': 'Capabilities' }, c.capabilities.map((w) => h('li', { class: 'badge' }, w))),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Auth'), h('dd', {}, c.authMethods.map((m) => m.label).join(' · ')),
      h('dt', {}, 'Rate'), h('dd', {}, `${c.rate.requestsPerSecond}/s per ${c.rate.per}`),
      h('dt', {}, 'API version'), h('dd', {}, c.apiVersion),
      h('dt', {}, 'De-duplication'), h('dd', {}, c.dedup ?? 'none')),
    h('footer', {},
      h('a', { class: 'button', href: `#/connectors/${c.id}/new` }, 'Add connection'),
      h('a', { href: c.docsUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Provider docs')));
}

class ConnectorsPage extends HTMLElement {
  async connectedCallback() {
    fill(this, h('p', { class: 'muted' }, 'Loading connectors…'));
    try {
      const { categories } = await api('/api/connectors');
      const count = categories.reduce((n, c) => n + c.connectors.length, 0);
      fill(this,
        h('h1', {}, 'Connectors'),
        h('p', { class: 'lead' }, `${count} connectors in the registry. Each one's connection form below is drawn from its registry entry alone.`),
        ...categories.map((cat) =>
          h('section', { class: 'category', 'data-category': cat.id },
            h('h2', {}, cat.label),
            h('div', { class: 'cards' }, cat.connectors.map(card)))),
      );
    } catch (err) {
      fill(this, failure(err));
    }
  }
}

customElements.define('connectors-page', ConnectorsPage);
