// @ts-check
// Building the pages' DOM. Data only ever reaches the DOM as text nodes.

/** @typedef {import('../types/api.js').Child} Child */
/** @typedef {import('../types/api.js').PropText} PropText */

/**
 * Builds an element. props: `class`, `text`, `on` ({ event: handler }), `attrs` (set with setAttribute),
 * `aria-*`/`data-*`/`role`/`for` keys (attributes), anything else as a DOM property.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {import('../types/api.js').Props | null} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class')
      element.className = Array.isArray(value)
        ? value.filter(Boolean).join(' ')
        : asText(/** @type {PropText} */ (value));
    else if (key === 'text') element.textContent = asText(/** @type {PropText} */ (value));
    else if (key === 'on')
      for (const [event, handler] of Object.entries(/** @type {Record<string, EventListener>} */ (value)))
        element.addEventListener(event, handler);
    else if (key === 'attrs')
      for (const [name, attr] of Object.entries(/** @type {Record<string, PropText>} */ (value)))
        element.setAttribute(name, String(attr));
    else if (
      key.startsWith('aria-') ||
      key.startsWith('data-') ||
      key === 'role' ||
      key === 'for' ||
      key === 'list'
    )
      element.setAttribute(key, value === true ? 'true' : asText(/** @type {PropText} */ (value)));
    else Reflect.set(element, key, value);
  }
  append(element, children);
  return element;
}

/** @param {PropText} value */
const asText = (value) => String(value);

/**
 * @param {Node} parent
 * @param {Child[]} children
 */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * @template {Node} T
 * @param {T} element
 */
function clear(element) {
  while (element.firstChild) element.removeChild(element.firstChild);
  return element;
}

/**
 * @template {Node} T
 * @param {T} element
 * @param {...Child} children
 */
export function replaceChildren(element, ...children) {
  clear(element);
  append(element, children);
  return element;
}

let idCounter = 0;
/** @param {string} prefix */
export function uniqueId(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}
