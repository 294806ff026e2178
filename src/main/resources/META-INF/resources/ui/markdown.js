// Markdown for model output, built as DOM nodes. No dependencies, no build step.
//
// Model text is untrusted. It reaches the DOM only through createElement, text nodes and textContent: nothing here
// parses HTML or assigns to innerHTML (the page's Trusted Types policy would throw if anything did). Raw HTML in the
// text stays text, images are never loaded, and a link becomes an <a> only when its target is an absolute http(s)
// URL; anything else (javascript:, data:, relative paths) is shown as the text the model wrote.
//
// The subset is what chat models write: paragraphs, ATX headings, fenced code blocks (with a copy button), bullet
// and ordered lists (nested), block quotes, thematic breaks, inline code, emphasis, strong, strikethrough, links,
// <https://…> autolinks and bare http(s) URLs. It is built for text that is still arriving: an unclosed fence is
// shown as code, an unclosed delimiter as the characters typed so far, and renderMarkdown() re-renders a growing
// message cheaply by keeping the nodes of blocks that did not change.

const PUNCTUATION = /[!-/:-@[-`{-~]/;
const ALNUM = /[\p{L}\p{N}]/u;
const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(?:([ \t]+)(.*))?$/;
const BARE_URL = /https?:\/\/[^\s<>"'`]+/iy;
/** Characters that may start inline markup; runs of anything else are copied as text in one step. */
const SPECIAL = /[\\`[!<hH*_~]/g;
/** Link labels and targets longer than this are not links: it bounds the work on text full of unmatched brackets. */
const MAX_LINK_SCAN = 1000;

// ---- blocks ---------------------------------------------------------------------------------------------------

/**
 * Splits Markdown into blocks: {type: 'paragraph', text} | {type: 'heading', level, text} |
 * {type: 'code', lang, code, closed} | {type: 'list', ordered, start, loose, items: Block[][]} |
 * {type: 'quote', blocks} | {type: 'hr'}. Each top-level block carries `source`, the lines it was read from.
 */
export function parseBlocks(text) {
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n').map(expandTabs);
  return parseLines(lines, true);
}

function parseLines(lines, top = false) {
  const blocks = [];
  let paragraph = null;
  let i = 0;
  const add = (block, start, end) => {
    if (top) {
      block.source = lines.slice(start, end).join('\n');
    }
    blocks.push(block);
  };
  const flush = () => {
    if (paragraph) {
      add({ type: 'paragraph', text: paragraph.lines.join('\n') }, paragraph.start, i);
      paragraph = null;
    }
  };
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      flush();
      i++;
      continue;
    }
    const start = i;
    let match = openingFence(line);
    if (match) {
      flush();
      const { block, next } = readFence(lines, i, match);
      i = next;
      add(block, start, i);
      continue;
    }
    if ((match = HEADING.exec(line))) {
      flush();
      const content = (match[2] ?? '').replace(/(?:^|[ \t]+)#+$/, '').trim();
      i++;
      add({ type: 'heading', level: match[1].length, text: content }, start, i);
      continue;
    }
    if (THEMATIC_BREAK.test(line)) {
      flush();
      i++;
      add({ type: 'hr' }, start, i);
      continue;
    }
    if (QUOTE.test(line)) {
      flush();
      const inner = [];
      while (i < lines.length && !isBlank(lines[i])) {
        const quoted = QUOTE.exec(lines[i]);
        if (quoted) {
          inner.push(quoted[1]);
        } else if (!startsBlock(lines[i])) {
          inner.push(lines[i]); // a lazy continuation of the quoted paragraph
        } else {
          break;
        }
        i++;
      }
      add({ type: 'quote', blocks: parseLines(inner) }, start, i);
      continue;
    }
    if ((match = LIST_ITEM.exec(line)) && (!paragraph || match[4]?.trim())) {
      flush();
      const { block, next } = readList(lines, i);
      i = next;
      add(block, start, i);
      continue;
    }
    if (paragraph) {
      paragraph.lines.push(line.trim());
    } else {
      paragraph = { start: i, lines: [line.trim()] };
    }
    i++;
  }
  flush();
  return blocks;
}

function openingFence(line) {
  const match = FENCE.exec(line);
  // A backtick fence's info string cannot hold a backtick (```a``` on one line is inline code).
  if (!match || (match[2][0] === '`' && match[3].includes('`'))) {
    return null;
  }
  return match;
}

function readFence(lines, start, match) {
  const indent = match[1].length;
  const fence = match[2];
  const lang = match[3].trim().split(/\s+/)[0] ?? '';
  const code = [];
  let i = start + 1;
  while (i < lines.length) {
    const closing = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[i]);
    if (closing && closing[1][0] === fence[0] && closing[1].length >= fence.length) {
      return { block: { type: 'code', lang, code: code.join('\n'), closed: true }, next: i + 1 };
    }
    code.push(stripIndent(lines[i], indent));
    i++;
  }
  // Unclosed: while an answer streams, the rest of the text is the code typed so far.
  return { block: { type: 'code', lang, code: code.join('\n'), closed: false }, next: i };
}

function readList(lines, start) {
  const first = LIST_ITEM.exec(lines[start]);
  const ordered = /\d/.test(first[2]);
  const delimiter = first[2].slice(-1);
  const items = [];
  let loose = false;
  let i = start;
  while (i < lines.length) {
    const match = LIST_ITEM.exec(lines[i]);
    if (!match || THEMATIC_BREAK.test(lines[i]) || /\d/.test(match[2]) !== ordered
      || match[2].slice(-1) !== (ordered ? delimiter : match[2].slice(-1))) {
      break;
    }
    const spaces = match[3]?.length ?? 0;
    // Content starts one column after the marker when the marker is followed by 5 or more spaces (indented code).
    const contentIndent = match[1].length + match[2].length + (spaces === 0 || spaces > 4 ? 1 : spaces);
    const itemLines = [spaces > 4 ? ' '.repeat(spaces - 1) + (match[4] ?? '') : (match[4] ?? '')];
    i++;
    let inFence = openingFence(itemLines[0]) !== null;
    while (i < lines.length) {
      const line = lines[i];
      if (isBlank(line)) {
        itemLines.push('');
        i++;
        continue;
      }
      if (leadingSpaces(line) >= contentIndent) {
        const inner = line.slice(contentIndent);
        inFence = toggleFence(inFence, inner);
        itemLines.push(inner);
        i++;
        continue;
      }
      const previous = itemLines[itemLines.length - 1];
      if (!inFence && previous !== '' && !startsBlock(line)) {
        itemLines.push(line.trim()); // a lazy continuation of the item's paragraph
        i++;
        continue;
      }
      break;
    }
    let blank = 0;
    while (itemLines.length > 1 && itemLines[itemLines.length - 1] === '') {
      itemLines.pop();
      blank++;
    }
    items.push(parseLines(itemLines));
    if (blank > 0) {
      const next = i < lines.length ? LIST_ITEM.exec(lines[i]) : null;
      if (next && /\d/.test(next[2]) === ordered) {
        loose = true;
      } else {
        i -= blank; // the blank lines end the list; they belong to no item
        break;
      }
    }
  }
  return {
    block: { type: 'list', ordered, start: ordered ? Number.parseInt(first[2], 10) : 1, loose, items },
    next: i,
  };
}

function toggleFence(inFence, line) {
  if (inFence) {
    return !/^ {0,3}(`{3,}|~{3,})[ \t]*$/.test(line);
  }
  return openingFence(line) !== null;
}

function startsBlock(line) {
  return openingFence(line) !== null || HEADING.test(line) || THEMATIC_BREAK.test(line) || QUOTE.test(line)
    || LIST_ITEM.test(line);
}

function isBlank(line) {
  return line.trim() === '';
}

function leadingSpaces(line) {
  return line.length - line.trimStart().length;
}

function stripIndent(line, indent) {
  return line.slice(Math.min(indent, leadingSpaces(line)));
}

function expandTabs(line) {
  if (!line.includes('\t')) {
    return line;
  }
  // Only leading tabs matter for structure; keep tabs inside text and code as they are.
  const body = line.trimStart();
  const lead = line.slice(0, line.length - body.length);
  return lead.replace(/\t/g, '    ') + body;
}

// ---- inline -----------------------------------------------------------------------------------------------------

/**
 * Parses inline Markdown into nodes: {type: 'text', text} | {type: 'code', text} | {type: 'strong'|'em'|'del',
 * children} | {type: 'link', href, title, children}. `href` is always an absolute http(s) URL; a link to anything
 * else, and every image, is returned as the text the model wrote.
 */
export function parseInline(text) {
  return new InlineParser(String(text)).parse(0, text.length);
}

class InlineParser {
  constructor(text) {
    this.s = text;
    // Where a search for a closing run failed, keyed by delimiter: later searches from further on fail too, so
    // text full of unmatched `*` or backticks is parsed in linear time.
    this.noCloserFrom = new Map();
    this.lastCloseBracket = text.lastIndexOf(']');
    // Inside a link's label nothing else becomes a link: no <a> in an <a>.
    this.inLink = 0;
  }

  parse(from, to) {
    const { s } = this;
    const out = [];
    let text = '';
    const flush = () => {
      if (text) {
        out.push({ type: 'text', text });
        text = '';
      }
    };
    const push = (node) => {
      flush();
      out.push(node);
    };
    let i = from;
    while (i < to) {
      const c = s[i];
      if (c === '\\' && i + 1 < to && PUNCTUATION.test(s[i + 1])) {
        text += s[i + 1];
        i += 2;
        continue;
      }
      if (c === '`') {
        const run = runLength(s, i, '`', to);
        const close = this.findCodeClose(i + run, run, to);
        if (close < 0) {
          text += s.slice(i, i + run);
          i += run;
          continue;
        }
        let code = s.slice(i + run, close).replace(/\n/g, ' ');
        if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim()) {
          code = code.slice(1, -1);
        }
        push({ type: 'code', text: code });
        i = close + run;
        continue;
      }
      if ((c === '[' || (c === '!' && s[i + 1] === '[')) && this.inLink === 0) {
        const link = this.readLink(c === '!' ? i + 1 : i, to);
        if (link) {
          const raw = s.slice(i, link.end);
          if (link.href === null) {
            text += raw; // not an http(s) URL: the reader sees exactly what the model wrote
          } else {
            const image = c === '!';
            const label = image ? s.slice(link.labelFrom, link.labelTo) : null;
            push({
              type: 'link',
              href: link.href,
              title: link.title,
              image,
              children: image ? [{ type: 'text', text: label || link.href }] : this.label(link),
            });
          }
          i = link.end;
          continue;
        }
      }
      if (c === '<' && this.inLink === 0) {
        const auto = /^<(https?:\/\/[^\s<>]+)>/i.exec(s.slice(i, Math.min(to, i + MAX_LINK_SCAN)));
        const href = auto ? safeHref(auto[1]) : null;
        if (href) {
          push({ type: 'link', href, title: null, children: [{ type: 'text', text: auto[1] }] });
          i += auto[0].length;
          continue;
        }
      }
      if ((c === 'h' || c === 'H') && this.inLink === 0 && (i === 0 || !ALNUM.test(s[i - 1]))) {
        const url = this.bareUrl(i, to);
        if (url) {
          push({ type: 'link', href: url.href, title: null, children: [{ type: 'text', text: url.text }] });
          i += url.text.length;
          continue;
        }
      }
      if (c === '*' || c === '_' || c === '~') {
        const node = this.emphasis(i, to);
        if (node) {
          push(node.node);
          i = node.end;
          continue;
        }
        const run = runLength(s, i, c, to);
        text += s.slice(i, i + run);
        i += run;
        continue;
      }
      if (c === '!' || c === 'h' || c === 'H' || c === '<' || c === '\\' || c === '[') {
        text += c;
        i++;
        continue;
      }
      SPECIAL.lastIndex = i;
      const special = SPECIAL.exec(s);
      const next = special && special.index < to ? special.index : to;
      text += s.slice(i, next);
      i = next;
    }
    flush();
    return out;
  }

  label(link) {
    this.inLink++;
    try {
      return this.parse(link.labelFrom, link.labelTo);
    } finally {
      this.inLink--;
    }
  }

  /** Index of the backtick run of exactly `run` that closes a code span opened before `from`, or -1. */
  findCodeClose(from, run, to) {
    const key = `\`${run}:${to}`;
    if (from >= (this.noCloserFrom.get(key) ?? Infinity)) {
      return -1;
    }
    const { s } = this;
    let j = from;
    while (j < to) {
      const k = s.indexOf('`', j);
      if (k < 0 || k >= to) {
        break;
      }
      const r = runLength(s, k, '`', to);
      if (r === run) {
        return k;
      }
      j = k + r;
    }
    this.noCloserFrom.set(key, Math.min(from, this.noCloserFrom.get(key) ?? Infinity));
    return -1;
  }

  /** `*em*`, `_em_`, `**strong**`, `__strong__`, `***both***`, `~~del~~`, or null when the run opens nothing. */
  emphasis(i, to) {
    const { s } = this;
    const c = s[i];
    const run = runLength(s, i, c, to);
    if (run > 3 || (c === '~' && run !== 2)) {
      return null;
    }
    const next = s[i + run];
    if (next === undefined || i + run >= to || /\s/.test(next)) {
      return null; // not left-flanking
    }
    if (c === '_' && i > 0 && ALNUM.test(s[i - 1])) {
      return null; // snake_case words are not emphasis
    }
    const close = this.findEmphasisClose(c, run, i + run, to);
    if (close < 0) {
      return null;
    }
    const children = this.parse(i + run, close);
    let node;
    if (c === '~') {
      node = { type: 'del', children };
    } else if (run === 1) {
      node = { type: 'em', children };
    } else if (run === 2) {
      node = { type: 'strong', children };
    } else {
      node = { type: 'em', children: [{ type: 'strong', children }] };
    }
    return { node, end: close + run };
  }

  findEmphasisClose(c, run, from, to) {
    const key = `${c}${run}:${to}`;
    if (from >= (this.noCloserFrom.get(key) ?? Infinity)) {
      return -1;
    }
    const { s } = this;
    let j = from;
    while (j < to) {
      const ch = s[j];
      if (ch === '\\') {
        j += 2;
        continue;
      }
      if (ch === '`') {
        // Delimiters inside a code span do not close anything.
        const r = runLength(s, j, '`', to);
        const close = this.findCodeClose(j + r, r, to);
        j = close < 0 ? j + r : close + r;
        continue;
      }
      if (ch !== c) {
        j++;
        continue;
      }
      const r = runLength(s, j, c, to);
      const rightFlanking = j > from && !/\s/.test(s[j - 1]);
      const wordAfter = c === '_' && j + r < to && ALNUM.test(s[j + r]);
      if (r === run && rightFlanking && !wordAfter) {
        return j;
      }
      j += r;
    }
    this.noCloserFrom.set(key, Math.min(from, this.noCloserFrom.get(key) ?? Infinity));
    return -1;
  }

  /** `[label](target "title")` starting at the `[`: label bounds, end, and href (null unless http(s)); or null. */
  readLink(open, to) {
    const { s } = this;
    if (open > this.lastCloseBracket) {
      return null;
    }
    const limit = Math.min(to, open + MAX_LINK_SCAN);
    let depth = 0;
    let j = open;
    let labelTo = -1;
    while (j < limit) {
      const ch = s[j];
      if (ch === '\\') {
        j += 2;
        continue;
      }
      if (ch === '[') {
        depth++;
      } else if (ch === ']' && --depth === 0) {
        labelTo = j;
        break;
      }
      j++;
    }
    if (labelTo < 0 || s[labelTo + 1] !== '(') {
      return null;
    }
    let k = labelTo + 2;
    const end = Math.min(to, k + MAX_LINK_SCAN);
    while (k < end && /[ \t\n]/.test(s[k])) {
      k++;
    }
    let target = '';
    if (s[k] === '<') {
      const close = s.indexOf('>', k + 1);
      if (close < 0 || close >= end || s.slice(k + 1, close).includes('\n')) {
        return null;
      }
      target = s.slice(k + 1, close);
      k = close + 1;
    } else {
      let parens = 0;
      const from = k;
      while (k < end && !/\s/.test(s[k])) {
        if (s[k] === '\\' && k + 1 < end) {
          k += 2;
          continue;
        }
        if (s[k] === '(') {
          parens++;
        } else if (s[k] === ')') {
          if (parens === 0) {
            break;
          }
          parens--;
        }
        k++;
      }
      target = s.slice(from, k);
    }
    while (k < end && /[ \t\n]/.test(s[k])) {
      k++;
    }
    let title = null;
    const quote = { '"': '"', "'": "'", '(': ')' }[s[k]];
    if (quote) {
      const close = s.indexOf(quote, k + 1);
      if (close < 0 || close >= end) {
        return null;
      }
      title = s.slice(k + 1, close);
      k = close + 1;
      while (k < end && /[ \t\n]/.test(s[k])) {
        k++;
      }
    }
    if (s[k] !== ')') {
      return null;
    }
    return { labelFrom: open + 1, labelTo, end: k + 1, href: safeHref(target), title };
  }

  /** A bare http(s) URL at `i`, without the trailing punctuation that ends a sentence; or null. */
  bareUrl(i, to) {
    BARE_URL.lastIndex = i;
    const match = BARE_URL.exec(this.s);
    if (!match) {
      return null;
    }
    let text = match[0].slice(0, to - i);
    for (;;) {
      const last = text[text.length - 1];
      if (/[.,:;!?*_~'"]/.test(last)) {
        text = text.slice(0, -1);
      } else if (last === ')' && count(text, '(') < count(text, ')')) {
        text = text.slice(0, -1);
      } else {
        break;
      }
    }
    const href = /^https?:\/\/[^/?#]/i.test(text) ? safeHref(text) : null;
    return href ? { href, text } : null;
  }
}

/** The URL as an absolute http(s) href, or null: every other scheme, and every relative URL, stays text. */
export function safeHref(raw) {
  let url;
  try {
    url = new URL(String(raw).trim());
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

function runLength(s, i, c, to) {
  let j = i;
  while (j < to && s[j] === c) {
    j++;
  }
  return j - i;
}

function count(text, c) {
  let n = 0;
  for (const ch of text) {
    if (ch === c) {
      n++;
    }
  }
  return n;
}

// ---- DOM --------------------------------------------------------------------------------------------------------

/** Nodes of the last render of each target, by block source, so an unchanged block is never rebuilt. */
const rendered = new WeakMap();

/**
 * Renders Markdown into `target`, replacing what is there. Called again with a longer text (a streaming answer), it
 * keeps the nodes of blocks whose source did not change, updates a growing code block in place, and rebuilds only
 * what changed, so re-rendering on every delta stays cheap and a reader's selection in earlier blocks survives.
 */
export function renderMarkdown(target, text) {
  const blocks = parseBlocks(text);
  const previous = rendered.get(target);
  const previousNodes = previous && previous.every((entry) => entry.node.parentNode === target) ? previous : [];
  const next = [];
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    const key = `${block.type}\u0000${block.source}`;
    const old = previousNodes[i];
    let node;
    if (old && old.key === key && !old.open) {
      node = old.node;
    } else if (old && block.type === 'code' && old.type === 'code' && old.lang === block.lang) {
      node = old.node;
      updateCodeBlock(node, block); // a growing code block: keep its header, copy button and scroll position
    } else {
      node = buildBlock(block);
    }
    next.push({ key, node, type: block.type, lang: block.lang, open: block.type === 'code' && !block.closed });
  }
  const nodes = next.map((entry) => entry.node);
  const same = nodes.length === target.childNodes.length && nodes.every((node, i) => target.childNodes[i] === node);
  if (!same) {
    target.replaceChildren(...nodes);
  }
  rendered.set(target, next);
}

function buildBlock(block, tight = false) {
  switch (block.type) {
    case 'paragraph':
      return tight ? inlineFragment(block.text) : appendInline(el('p'), block.text);
    case 'heading':
      // The page owns h1 and h2; a message's headings nest below them.
      return appendInline(el(`h${Math.min(6, block.level + 2)}`, 'md-heading'), block.text);
    case 'code':
      return codeBlock(block);
    case 'hr':
      return el('hr');
    case 'quote': {
      const quote = el('blockquote');
      quote.append(...block.blocks.map((child) => buildBlock(child)));
      return quote;
    }
    case 'list': {
      const list = el(block.ordered ? 'ol' : 'ul', block.loose ? 'loose' : 'tight');
      if (block.ordered && block.start !== 1) {
        list.start = block.start;
      }
      for (const item of block.items) {
        const li = el('li');
        li.append(...item.map((child) => buildBlock(child, !block.loose)));
        list.append(li);
      }
      return list;
    }
    default:
      return document.createTextNode('');
  }
}

/** A fenced code block: its language, a copy button, and the code in a horizontally scrolling pre. */
export function codeBlock({ lang = '', code = '', closed = true }) {
  const wrapper = el('div', 'code-block');
  const head = el('div', 'code-head');
  head.append(el('span', 'code-lang', lang || 'text'));
  const copy = el('button', 'copy-code', 'Copy');
  copy.type = 'button';
  copy.setAttribute('aria-label', lang ? `Copy ${lang} code` : 'Copy code');
  head.append(copy);
  const pre = el('pre');
  pre.tabIndex = 0; // a scrolling region must be reachable from the keyboard
  const codeEl = el('code', null, code);
  pre.append(codeEl);
  wrapper.append(head, pre);
  updateCodeBlock(wrapper, { lang, code, closed });
  copy.addEventListener('click', () => copyCode(copy, codeEl));
  return wrapper;
}

function updateCodeBlock(wrapper, { lang, code, closed }) {
  const pre = wrapper.querySelector('pre');
  const codeEl = pre.firstChild;
  if (codeEl.textContent !== code) {
    codeEl.textContent = code;
  }
  if (lang) {
    pre.dataset.lang = lang;
  } else {
    delete pre.dataset.lang;
  }
  wrapper.dataset.closed = String(closed);
}

/**
 * Copies the code's text with the Clipboard API; where it is missing (pages served over plain http) or refused,
 * selects the code and copies the selection. If both fail, the code is left selected for Ctrl+C.
 */
async function copyCode(button, code) {
  const text = code.textContent;
  let copied = false;
  if (navigator.clipboard && typeof navigator.clipboard.writeText === 'function') {
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      // Permission refused or no focus: try the selection instead.
    }
  }
  if (!copied) {
    copied = copySelectionOf(code);
  }
  button.textContent = copied ? 'Copied' : 'Press Ctrl+C';
  button.dataset.copied = String(copied);
  button.dispatchEvent(new CustomEvent('md-copy', { bubbles: true, detail: { copied } }));
  clearTimeout(button.resetTimer);
  button.resetTimer = setTimeout(() => {
    button.textContent = 'Copy';
    delete button.dataset.copied;
  }, 2000);
}

function copySelectionOf(node) {
  const selection = window.getSelection();
  if (!selection) {
    return false;
  }
  selection.selectAllChildren(node);
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  if (copied) {
    selection.removeAllRanges();
  }
  return copied;
}

function appendInline(parent, text) {
  parent.append(...inlineNodes(parseInline(text)));
  return parent;
}

function inlineFragment(text) {
  const fragment = document.createDocumentFragment();
  fragment.append(...inlineNodes(parseInline(text)));
  return fragment;
}

function inlineNodes(nodes) {
  return nodes.map((node) => {
    switch (node.type) {
      case 'text':
        return document.createTextNode(node.text);
      case 'code':
        return el('code', null, node.text);
      case 'strong':
      case 'em':
      case 'del': {
        const element = el(node.type);
        element.append(...inlineNodes(node.children));
        return element;
      }
      case 'link': {
        const a = el('a');
        a.href = node.href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        if (node.title) {
          a.title = node.title;
        }
        if (node.image) {
          a.className = 'image-link';
        }
        a.append(...inlineNodes(node.children));
        return a;
      }
      default:
        return document.createTextNode('');
    }
  });
}

function el(tag, className = null, text = null) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== null) {
    node.textContent = text;
  }
  return node;
}
