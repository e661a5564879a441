// Tiny DOM helpers. Text always goes in through textContent: run, tag and class names are
// user data and must never be parsed as HTML.

/**
 * Creates an element. props: class, text, style (object), dataset (object), on (object of
 * event listeners); anything else becomes an attribute (true -> empty attribute).
 * Children may be nodes, strings (as text) or null (skipped).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'style') Object.assign(node.style, value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'on') for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Removes every child of node, then appends the given children. */
export function replaceChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Sets textContent only when it changed (cheap during playback). */
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}

/** Sets an attribute only when its value changed (no style invalidation during playback). */
export function setAttr(node, name, value) {
  const text = String(value);
  if (node.getAttribute(name) !== text) node.setAttribute(name, text);
}

/** A <select> of [value, label] options. */
export function select(options, value, onChange, props = {}) {
  const node = el('select', props);
  setOptions(node, options, value);
  node.addEventListener('change', () => onChange(node.value));
  return node;
}

export function setOptions(node, options, value) {
  node.replaceChildren(...options.map(([v, label]) => el('option', { value: v, text: label })));
  if (value !== undefined && value !== null) node.value = String(value);
}

/** Lets a beat of the event loop pass (keeps the page responsive in long loops). */
export function nextTask() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
