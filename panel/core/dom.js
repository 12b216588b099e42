/* DOM helpers. The security rule of the panel: server data reaches the DOM only through
 * textContent / Text nodes (h() below), never as HTML strings (the lint refuses the
 * properties that parse them). */

export const $ = (id) => document.getElementById(id);

/** Create an element. Text only ever goes in through textContent / Text nodes. */
export function h(tag, props, children) {
  return fill(document.createElement(tag), props, children);
}

/** Create an SVG element (the static icons of the markup), the same way. */
export function s(tag, props, children) {
  return fill(document.createElementNS('http://www.w3.org/2000/svg', tag), props, children);
}

function fill(e, props, children) {
  if (props) {
    for (const k of Object.keys(props)) {
      const v = props[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.setAttribute('class', v);
      else if (k === 'text') e.textContent = String(v);
      else if (k.slice(0, 2) === 'on' && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  if (children !== undefined) {
    for (const c of [].concat(children)) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c); // strings become Text nodes
    }
  }
  return e;
}

export const enc = encodeURIComponent;

export const cmpId = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

export function windowFocused() {
  return document.visibilityState === 'visible' && document.hasFocus();
}

export function isNearBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
}

// Shown when a name has no letter or digit (only markup, emoji, invisible characters): a
// neutral glyph, never a stray "<" nor an empty circle.
export const NO_INITIALS = '•';

/** Up to two initials, letters or digits only: the first one of each of the first two
 * words that have one ("N<b>" -> "N", "(Ann) [Lee]" -> "AL"). */
export function initials(name) {
  const firsts = [];
  for (const word of String(name || '').split(/[\s\p{Z}]+/u)) {
    const ch = word.match(/[\p{L}\p{N}]/u);
    if (ch) firsts.push(ch[0]);
    if (firsts.length === 2) break;
  }
  return firsts.length ? firsts.join('').toUpperCase() : NO_INITIALS;
}

function hue(seed) {
  // FNV-1a + a final avalanche so near-identical ids get clearly different colours.
  let x = 0x811c9dc5;
  const s = String(seed || '');
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 0x01000193);
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d);
  x ^= x >>> 12;
  return (x >>> 0) % 360;
}

/** Initials on a colour from the seed; or a messenger customer's picture (our bucket's
 * copy, an <img> with its URL as an attribute), the initials staying if it fails to load. */
export function paintAvatar(el, name, seed, picture) {
  el.textContent = initials(name);
  el.style.setProperty('--av-h', String(hue(seed || name)));
  if (typeof picture === 'string' && /^https?:\/\//.test(picture)) {
    const img = h('img', { class: 'avatar-picture', src: picture, alt: '', loading: 'lazy' });
    img.addEventListener('error', () => img.remove());
    el.append(img);
  }
}

export function avatar(name, seed, extraClass, picture) {
  const a = h('span', { class: 'avatar' + (extraClass ? ' ' + extraClass : ''), 'aria-hidden': 'true' });
  paintAvatar(a, name, seed, picture);
  return a;
}
