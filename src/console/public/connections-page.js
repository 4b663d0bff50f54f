// <connections-page>: the registered connections, one <connection-card> each.
import { api } from './api.js';
import { failure, fill, h } from './dom.js';
import './connection-card.js';

class ConnectionsPage extends HTMLElement {
  async connectedCallback() {
    fill(this, h('p', { class: 'muted' }, 'Loading connections…'));
    let data;
    try {
      data = await api('/api/connections');
    } catch (err) {
      fill(this, failure(err));
      return;
    }
    const highlight = this.dataset.highlight;
    fill(this,
      h('h1', {}, 'Connections'),
      data.temporal.ok ? null : h('p', { class: 'banner warning' }, `Temporal is not reachable, so schedules, syncs and runs cannot be shown: ${data.temporal.message}`),
      highlight ? h('p', { class: 'banner ok', role: 'status' }, `Added ${highlight}. Test it, then sync or schedule it.`) : null,
      data.connections.length === 0
        ? h('p', { class: 'muted' }, 'No connections yet. ', h('a', { href: '#/connectors' }, 'Pick a connector'), ' to add one.')
        : h('div', { class: 'connection-list' }, data.connections.map((c) => {
          const card = h('connection-card');
          card.connection = c;
          if (c.id === highlight) card.classList.add('highlight');
          return card;
        })),
    );
  }
}

customElements.define('connections-page', ConnectionsPage);
