// The page: takes the token from the link, then shows one of three pages by the URL fragment.
// Every page is a custom element (no framework, no build step); this file only picks which.
import { api, hasToken, takeTokenFromUrl } from './api.js';
import { fill, h } from './dom.js';
import './connectors-page.js';
import './connection-form.js';
import './connections-page.js';
import './pipelines-page.js';

takeTokenFromUrl();
const main = document.getElementById('main');
let session = null;

function showSession(s) {
  const box = document.getElementById('session');
  fill(box,
    `namespace ${s.namespace}`,
    s.sandbox ? h('span', { class: 'badge sandbox' }, 'sandbox mode') : null,
    s.uiUrl ? h('a', { href: s.uiUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Temporal Web UI') : null,
  );
}

async function route() {
  if (!hasToken()) {
    fill(main, h('p', { class: 'banner error' }, 'This page needs the link `pipeline console` printed: it carries the token of this console\'s session.'));
    return;
  }
  if (!session) {
    try {
      session = await api('/api/session');
    } catch (err) {
      const hint = err.status === 401 ? ' The console was restarted since this tab opened it: open the new link it printed.' : '';
      fill(main, h('p', { class: 'banner error', role: 'alert' }, `${err.message}${hint}`));
      return;
    }
    showSession(session);
  }
  const hash = location.hash || '#/connectors';
  const form = /^#\/connectors\/([a-z0-9_-]+)\/new$/.exec(hash);
  let page;
  let nav;
  if (form) {
    page = h('connection-form', { 'data-connector': form[1] });
    nav = 'connectors';
  } else if (hash.startsWith('#/connections')) {
    page = h('connections-page', { 'data-highlight': new URLSearchParams(hash.split('?')[1] || '').get('added') });
    nav = 'connections';
  } else if (hash === '#/pipelines') {
    page = h('pipelines-page');
    nav = 'pipelines';
  } else {
    page = h('connectors-page');
    nav = 'connectors';
  }
  page.session = session;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  fill(main, page);
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', route);
route();
