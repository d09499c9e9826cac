// DOM helpers shared by the page's modules. Server values go in through textContent only.

/** Creates an element with a class and text. */
export function h(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
