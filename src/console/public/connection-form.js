// <connection-form data-connector="shopify">: a connection form drawn only from the connector's form
// description (formSpec): its auth methods, and for each field its kind, label, help, placeholder,
// default, options and whether it is required or secret. Nothing here knows any connector.
// The server validates with the connector's own zod schema; its errors are shown next to their field.
import { api, ApiError } from './api.js';
import { failure, fill, h } from './dom.js';

/** The input of one field, by its declared kind. */
function inputFor(f) {
  const v = f.validation || {};
  switch (f.kind) {
    case 'textarea':
      return h('textarea', { rows: 5, spellcheck: 'false' });
    case 'select':
      return h('select', {},
        f.required && f.default !== undefined ? null : h('option', { value: '' }, f.required ? 'Choose…' : '(not set)'),
        (f.options || []).map((o) => h('option', { value: o.value, selected: o.value === f.default }, o.label)));
    case 'number':
      return h('input', { type: 'number', min: v.min, max: v.max, step: v.integer ? 1 : 'any', inputmode: 'decimal' });
    case 'password':
      return h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false' });
    default:
      return h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off' });
  }
}

/** A label, the input, its help, and the slot its error goes in (data-field names it for the error mapping). */
function fieldRow(f, extraHelp) {
  const input = inputFor(f);
  input.id = `field-${f.key}`;
  input.name = f.key;
  if (f.placeholder) input.placeholder = f.placeholder;
  if (f.default !== undefined && f.kind !== 'select') input.value = String(f.default);
  input.setAttribute('aria-describedby', `help-${f.key} error-${f.key}`);
  if (f.required) input.setAttribute('aria-required', 'true');
  return h('div', { class: `field kind-${f.kind}`, 'data-field': f.key },
    h('label', { for: input.id }, f.label, f.required ? h('span', { class: 'required', title: 'required' }, ' *') : h('span', { class: 'optional' }, ' (optional)')),
    input,
    h('p', { class: 'help', id: `help-${f.key}` }, f.help, extraHelp ? h('span', { class: 'secret-help' }, ` ${extraHelp}`) : null),
    h('p', { class: 'field-error', id: `error-${f.key}`, role: 'alert', hidden: true }));
}

class ConnectionForm extends HTMLElement {
  async connectedCallback() {
    fill(this, h('p', { class: 'muted' }, 'Loading the form…'));
    try {
      const { form } = await api(`/api/connectors/${encodeURIComponent(this.dataset.connector)}`);
      this.spec = form;
      this.method = form.authMethods[0].id;
      this.render();
    } catch (err) {
      fill(this, failure(err));
    }
  }

  render() {
    const spec = this.spec;
    const session = this.session || {};
    this.form = h('form', { class: 'connection-form', onsubmit: (e) => this.submit(e) });
    // The server's schema is the one judge: no browser-side rules that could disagree with it.
    this.form.noValidate = true;
    this.fields = h('div', { class: 'fields' });
    this.formError = h('div', { class: 'banner error', role: 'alert', hidden: true });
    fill(this.form,
      fieldRow({ key: 'id', label: 'Connection id', kind: 'text', required: true, placeholder: `my-${spec.id}`, help: 'Lower-case letters, digits, "-" or "_". Syncs, schedules and runs are named after it.' }),
      spec.authMethods.length > 1
        ? h('fieldset', { class: 'auth-methods', 'data-field': 'authMethod' },
          h('legend', {}, 'Authentication'),
          spec.authMethods.map((m) => h('label', { class: 'choice' },
            h('input', { type: 'radio', name: 'authMethod', value: m.id, checked: m.id === this.method, onchange: () => this.switchMethod(m.id) }),
            ` ${m.label}`)),
          h('p', { class: 'field-error', id: 'error-authMethod', role: 'alert', hidden: true }))
        : null,
      this.fields,
      session.sandbox
        ? fieldRow({ key: 'baseUrlOverride', label: 'Sandbox emulator URL', kind: 'text', required: false, placeholder: 'http://127.0.0.1:41579', help: 'Sandbox mode only: the loopback URL of a local emulator standing in for the provider.' })
        : null,
      this.formError,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, 'Save connection'),
        h('a', { href: '#/connectors' }, 'Cancel')),
    );
    fill(this,
      h('h1', {}, `New ${spec.name} connection`),
      h('p', { class: 'lead' }, spec.description, ' ', h('a', { href: spec.docsUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Provider docs')),
      this.form,
    );
    this.renderFields();
  }

  switchMethod(id) {
    // Values typed in fields the two methods share are kept.
    const kept = Object.fromEntries([...new FormData(this.form)].filter(([k]) => k !== 'authMethod' && k !== 'id' && k !== 'baseUrlOverride'));
    this.method = id;
    this.renderFields();
    for (const [k, v] of Object.entries(kept)) {
      const input = this.fields.querySelector(`[name="${CSS.escape(k)}"]`);
      if (input) input.value = v;
    }
  }

  currentMethod() {
    return this.spec.authMethods.find((m) => m.id === this.method);
  }

  renderFields() {
    const m = this.currentMethod();
    const inline = this.session && this.session.inlineSecrets
      ? 'Give env:NAME or file:/absolute/path (read by the worker), or the secret itself (stored encrypted).'
      : 'Give env:NAME or file:/absolute/path, read by the worker (an inline secret needs PIPELINE_SECRETS_KEYS where the console runs).';
    const group = (name, title) => {
      const fs = m.fields.filter((f) => f.group === name);
      return fs.length ? h('fieldset', { class: `group group-${name}` }, h('legend', {}, title), fs.map((f) => fieldRow(f, f.secret ? inline : null))) : null;
    };
    fill(this.fields,
      m.help ? h('p', { class: 'help method-help' }, m.help) : null,
      group('connection', 'Connection'),
      group('auth', 'Credentials'),
    );
  }

  clearErrors() {
    this.formError.hidden = true;
    fill(this.formError);
    for (const p of this.querySelectorAll('.field-error')) {
      p.hidden = true;
      p.textContent = '';
    }
    for (const el of this.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }

  /** Each error next to its field; errors of no rendered field (and the summary) above the buttons. */
  showErrors(err) {
    const loose = [];
    for (const [field, messages] of Object.entries(err.fieldErrors)) {
      const slot = this.querySelector(`#error-${CSS.escape(field)}`);
      if (!slot) {
        loose.push(...messages.map((msg) => (msg.includes(field) ? msg : `${field}: ${msg}`)));
        continue;
      }
      slot.textContent = messages.join(' ');
      slot.hidden = false;
      this.querySelector(`[name="${CSS.escape(field)}"]`)?.setAttribute('aria-invalid', 'true');
    }
    const placed = Object.keys(err.fieldErrors).length - loose.length > 0;
    fill(this.formError,
      h('p', {}, placed ? 'Nothing was saved: fix the fields marked above.' : `Nothing was saved: ${err.message}`),
      loose.length ? h('ul', {}, loose.map((l) => h('li', {}, l))) : null,
    );
    this.formError.hidden = false;
    this.querySelector('[aria-invalid="true"]')?.focus();
  }

  async submit(event) {
    event.preventDefault();
    this.clearErrors();
    const data = new FormData(this.form);
    const config = { authMethod: this.method };
    for (const f of this.currentMethod().fields) {
      const v = data.get(f.key);
      // Empty means "not set": the schema then applies the default, or says the field is required.
      if (typeof v === 'string' && v !== '') config[f.key] = v;
    }
    const id = String(data.get('id') || '').trim();
    const base = String(data.get('baseUrlOverride') || '').trim();
    const button = this.form.querySelector('button[type=submit]');
    button.disabled = true;
    button.textContent = 'Saving…';
    try {
      await api('/api/connections', { method: 'POST', body: { id, connectorId: this.spec.id, config, ...(base ? { baseUrlOverride: base } : {}) } });
      location.hash = `#/connections?added=${encodeURIComponent(id)}`;
    } catch (err) {
      if (err instanceof ApiError) this.showErrors(err);
      else this.showErrors({ fieldErrors: {}, message: err.message });
    } finally {
      button.disabled = false;
      button.textContent = 'Save connection';
    }
  }
}

customElements.define('connection-form', ConnectionForm);
