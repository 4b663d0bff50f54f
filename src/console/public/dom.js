// A tiny element builder. Text always goes in as text (textContent / text nodes), never as HTML:
// what the API returns (names, messages, provider reasons) cannot inject markup.

/**
 * h('a', { href, class: 'x', onclick: fn, hidden: true }, 'text', child, [more]) -> element.
 * `true` sets a boolean attribute, `false`/null/undefined leave it out.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Replaces an element's children with these (nested arrays flattened; null, undefined and false skipped). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** "2026-12-02 04:24:50" in the browser's time zone; an empty string for nothing. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export const number = (n) => Number(n).toLocaleString('en-US');

export const plural = (n, word, many = `${word}s`) => `${number(n)} ${n === 1 ? word : many}`;

/** A message box for a failed load: the API's message, or the network's. */
export function failure(err) {
  return h('p', { class: 'banner error', role: 'alert' }, err.message || String(err));
}
