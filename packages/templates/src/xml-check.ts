/**
 * Checks that a text is one well-formed XML 1.0 document (Fifth Edition) and says where it is not,
 * as an offset. Hand-written, in one pass over the text with an explicit stack of open elements:
 * no tree is built, nothing is expanded, and deep nesting cannot overflow the call stack.
 *
 * It is strict where the receivers of webhooks are: exactly one root element, only whitespace,
 * comments and processing instructions around it; the XML declaration only at the very start;
 * no `--` inside a comment; matched and closed tags; names as XML defines them; quoted attribute
 * values without `<`; no attribute twice in a tag; only characters XML allows (no C0 control but
 * tab, line feed and carriage return, no lone surrogate, no U+FFFE or U+FFFF), written or as
 * character references; `]]>` only to end a CDATA section.
 *
 * Entities: only the five predefined ones (`&lt; &gt; &amp; &apos; &quot;`) and character
 * references are accepted, whatever the document declares. A DOCTYPE without an internal subset
 * (`<!DOCTYPE note>`, `<!DOCTYPE note SYSTEM "note.dtd">`) is accepted; one with an internal
 * subset (`<!DOCTYPE note [ … ]>`) is refused as a whole: Herald does not read DTDs, so it cannot
 * expand what they declare, and a receiver that does would be open to entity expansion attacks.
 * Namespaces (XML Namespaces 1.0: declared prefixes) are not checked; a name may hold colons, as
 * XML 1.0 allows.
 */
export interface XmlSyntaxProblem {
  /** UTF-16 offset of the first character that cannot be accepted (the text's length at a premature end). */
  offset: number;
  message: string;
}

/** Thrown inside the checker and caught at its top: a plain object, so no stack trace is captured. */
class Problem {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

function fail(offset: number, message: string): never {
  throw new Problem(offset, message);
}

// ASCII name characters: 1 = may start a name, 2 = may continue one.
const NAME_START = 1;
const NAME_CHAR = 2;
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x3a /* : */ || c === 0x5f; /* _ */
  const other = (c >= 0x30 && c <= 0x39) || c === 0x2d /* - */ || c === 0x2e; /* . */
  ASCII_NAME[c] = letter ? NAME_START | NAME_CHAR : other ? NAME_CHAR : 0;
}

/** NameStartChar beyond ASCII (XML 1.0 Fifth Edition, production [4]). */
function isNameStartCodePoint(cp: number): boolean {
  return (
    (cp >= 0xc0 && cp <= 0xd6) ||
    (cp >= 0xd8 && cp <= 0xf6) ||
    (cp >= 0xf8 && cp <= 0x2ff) ||
    (cp >= 0x370 && cp <= 0x37d) ||
    (cp >= 0x37f && cp <= 0x1fff) ||
    (cp >= 0x200c && cp <= 0x200d) ||
    (cp >= 0x2070 && cp <= 0x218f) ||
    (cp >= 0x2c00 && cp <= 0x2fef) ||
    (cp >= 0x3001 && cp <= 0xd7ff) ||
    (cp >= 0xf900 && cp <= 0xfdcf) ||
    (cp >= 0xfdf0 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0xeffff)
  );
}

/** NameChar beyond ASCII (production [4a]). */
function isNameCodePoint(cp: number): boolean {
  return isNameStartCodePoint(cp) || cp === 0xb7 || (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x203f && cp <= 0x2040);
}

/** Char (production [2]), for a code point (e.g. of a character reference). */
function isXmlCodePoint(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function hex4(cp: number): string {
  return cp.toString(16).toUpperCase().padStart(4, '0');
}

/** What is at `i`, for a message: `"x"`, `character U+0001`, or `the end of the document`. */
function describe(text: string, i: number): string {
  if (i >= text.length) return 'the end of the document';
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdfff) {
    const cp = text.codePointAt(i) ?? c;
    if (cp === c) return `a lone surrogate (U+${hex4(c)})`;
  }
  const cp = text.codePointAt(i) ?? 0;
  return cp < 0x20 || cp === 0x7f || cp === 0xfffe || cp === 0xffff ? `character U+${hex4(cp)}` : `"${String.fromCodePoint(cp)}"`;
}

/**
 * The offset after the legal character at `i` (1 or 2 UTF-16 units: a surrogate pair is one
 * character), or a problem. For characters below U+0020 and from U+D800 on; callers take the
 * common ones themselves.
 */
function legalCharEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c < 0xd800) || (c >= 0xe000 && c <= 0xfffd)) return i + 1;
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return i + 2;
  }
  return fail(i, `${describe(text, i)} is not allowed in XML`);
}

/** Checks every character of [from, to) is allowed in XML. */
function checkChars(text: string, from: number, to: number): void {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0xd800) i++;
    else i = legalCharEnd(text, i);
  }
}

/** The end of the XML name at `i`; `i` itself when no name starts there. */
function nameEnd(text: string, i: number): number {
  const n = text.length;
  if (i >= n) return i;
  let c = text.charCodeAt(i);
  if (c < 128) {
    if ((ASCII_NAME[c]! & NAME_START) === 0) return i;
    i++;
  } else {
    const cp = text.codePointAt(i)!;
    if (!isNameStartCodePoint(cp)) return i;
    i += cp > 0xffff ? 2 : 1;
  }
  while (i < n) {
    c = text.charCodeAt(i);
    if (c < 128) {
      if ((ASCII_NAME[c]! & NAME_CHAR) === 0) return i;
      i++;
    } else {
      const cp = text.codePointAt(i)!;
      if (!isNameCodePoint(cp)) return i;
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return i;
}

/** The end of the name at `i`, which must be there; `what` names it in the message (`an element name`). */
function requireName(text: string, i: number, what: string): number {
  const end = nameEnd(text, i);
  if (end === i) fail(i, `expected ${what}, found ${describe(text, i)}`);
  return end;
}

function skipWhitespace(text: string, i: number): number {
  const n = text.length;
  while (i < n && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** Whether the name at [from, from + length) is one of the five predefined entities: lt, gt, amp, apos, quot. */
function isPredefinedEntity(text: string, from: number, length: number): boolean {
  switch (length) {
    case 2:
      return text.startsWith('lt', from) || text.startsWith('gt', from);
    case 3:
      return text.startsWith('amp', from);
    case 4:
      return text.startsWith('apos', from) || text.startsWith('quot', from);
    default:
      return false;
  }
}

/** A reference at `i` (its `&`): a character reference of a legal character or a predefined entity. Returns the offset after its `;`. */
function scanReference(text: string, i: number): number {
  if (text.charCodeAt(i + 1) === 0x23 /* # */) {
    const isHex = text.charCodeAt(i + 2) === 0x78; /* x */
    let k = i + (isHex ? 3 : 2);
    const digits = k;
    let value = 0;
    for (;;) {
      const c = text.charCodeAt(k);
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (isHex && c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (isHex && c >= 0x41 && c <= 0x46) d = c - 0x37;
      else break;
      // Past the last code point it can only stay illegal; cap it so that it cannot overflow.
      value = Math.min(value * (isHex ? 16 : 10) + d, 0x110000);
      k++;
    }
    if (k === digits || text.charCodeAt(k) !== 0x3b /* ; */) {
      fail(i, `malformed character reference: expected ${isHex ? 'hexadecimal ' : ''}digits and ";" after "${isHex ? '&#x' : '&#'}"`);
    }
    if (!isXmlCodePoint(value)) {
      fail(i, `the character reference ${text.slice(i, k + 1)} is to ${value > 0x10ffff ? 'no character' : `U+${hex4(value)}`}, which XML does not allow`);
    }
    return k + 1;
  }
  const end = nameEnd(text, i + 1);
  if (end === i + 1) fail(i, '"&" must be written "&amp;" (it starts a reference otherwise)');
  if (text.charCodeAt(end) !== 0x3b) fail(i, `the entity reference "${text.slice(i, end)}" has no ";" (a plain "&" must be written "&amp;")`);
  if (!isPredefinedEntity(text, i + 1, end - i - 1)) {
    fail(i, `undeclared entity "&${text.slice(i + 1, end)};": only &lt; &gt; &amp; &apos; &quot; and character references (&#…;) are allowed`);
  }
  return end + 1;
}

/** A comment at `i` (`<!--`); returns the offset after its `-->`. */
function scanComment(text: string, i: number): number {
  const end = text.indexOf('--', i + 4);
  if (end === -1) fail(i, 'the comment is not closed ("-->" expected)');
  if (text.charCodeAt(end + 2) !== 0x3e /* > */) fail(end, '"--" is not allowed inside a comment');
  checkChars(text, i + 4, end);
  return end + 3;
}

/** A processing instruction at `i` (`<?`); returns the offset after its `?>`. */
function scanPi(text: string, i: number): number {
  const targetEnd = nameEnd(text, i + 2);
  if (targetEnd === i + 2) fail(i + 2, `a processing instruction must start with a target name, found ${describe(text, i + 2)}`);
  if (targetEnd - i - 2 === 3 && text.slice(i + 2, targetEnd).toLowerCase() === 'xml') {
    fail(i, text.startsWith('xml', i + 2)
      ? 'the XML declaration (<?xml …?>) is allowed only at the very start of the document'
      : `the processing instruction target "${text.slice(i + 2, targetEnd)}" is reserved`);
  }
  if (text.startsWith('?>', targetEnd)) return targetEnd + 2;
  if (!isWhitespace(text.charCodeAt(targetEnd))) fail(targetEnd, `expected whitespace or "?>" after the processing instruction target, found ${describe(text, targetEnd)}`);
  const end = text.indexOf('?>', targetEnd);
  if (end === -1) fail(i, 'the processing instruction is not closed ("?>" expected)');
  checkChars(text, targetEnd, end);
  return end + 2;
}

/** A CDATA section at `i` (`<![CDATA[`); returns the offset after its `]]>`. */
function scanCdata(text: string, i: number): number {
  const end = text.indexOf(']]>', i + 9);
  if (end === -1) fail(i, 'the CDATA section is not closed ("]]>" expected)');
  checkChars(text, i + 9, end);
  return end + 3;
}

/** A quoted literal at `i` (`"…"` or `'…'`), e.g. of the XML declaration or a DOCTYPE; returns [value start, value end, offset after it]. */
function scanQuoted(text: string, i: number, what: string): [number, number, number] {
  const q = text.charCodeAt(i);
  if (q !== 0x22 && q !== 0x27) fail(i, `expected ${what} in quotes, found ${describe(text, i)}`);
  const end = text.indexOf(q === 0x22 ? '"' : "'", i + 1);
  if (end === -1) fail(i, `${what} has no closing quote`);
  checkChars(text, i + 1, end);
  return [i + 1, end, end + 1];
}

/** ` name = "value"` of the XML declaration, `name` optional. Returns [value start, value end, offset after it], or null when `name` is not there. */
function declPseudoAttribute(text: string, i: number, name: string, required: boolean): [number, number, number] | null {
  const at = skipWhitespace(text, i);
  if (!text.startsWith(name, at) || at === i) {
    if (required) fail(at, `the XML declaration must say its version first (version="1.0"), found ${describe(text, at)}`);
    return null;
  }
  let k = skipWhitespace(text, at + name.length);
  if (text.charCodeAt(k) !== 0x3d /* = */) fail(k, `expected "=" after "${name}" in the XML declaration, found ${describe(text, k)}`);
  k = skipWhitespace(text, k + 1);
  return scanQuoted(text, k, `the ${name}`);
}

/** The XML declaration at `i` (`<?xml` and whitespace); returns the offset after its `?>`. */
function scanXmlDeclaration(text: string, i: number): number {
  const version = declPseudoAttribute(text, i + 5, 'version', true)!;
  if (!/^1\.[0-9]+$/.test(text.slice(version[0], version[1]))) fail(version[0], `the XML version must be 1.x, e.g. "1.0", not "${text.slice(version[0], version[1])}"`);
  let k = version[2];
  const encoding = declPseudoAttribute(text, k, 'encoding', false);
  if (encoding !== null) {
    if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(text.slice(encoding[0], encoding[1]))) fail(encoding[0], `"${text.slice(encoding[0], encoding[1])}" is not an encoding name`);
    k = encoding[2];
  }
  const standalone = declPseudoAttribute(text, k, 'standalone', false);
  if (standalone !== null) {
    const v = text.slice(standalone[0], standalone[1]);
    if (v !== 'yes' && v !== 'no') fail(standalone[0], `standalone must be "yes" or "no", not "${v}"`);
    k = standalone[2];
  }
  k = skipWhitespace(text, k);
  if (!text.startsWith('?>', k)) fail(k, `expected "?>" to end the XML declaration, found ${describe(text, k)}`);
  return k + 2;
}

/** The DOCTYPE at `i` (`<!DOCTYPE`); returns the offset after its `>`. See the module comment for what is accepted. */
function scanDoctype(text: string, i: number): number {
  let k = i + 9;
  if (!isWhitespace(text.charCodeAt(k))) fail(k, `expected whitespace after "<!DOCTYPE", found ${describe(text, k)}`);
  k = requireName(text, skipWhitespace(text, k), 'the root element\'s name in the DOCTYPE');
  let s = skipWhitespace(text, k);
  if (s > k && (text.startsWith('SYSTEM', s) || text.startsWith('PUBLIC', s))) {
    const isPublic = text.startsWith('PUBLIC', s);
    k = s + 6;
    if (!isWhitespace(text.charCodeAt(k))) fail(k, `expected whitespace after "${isPublic ? 'PUBLIC' : 'SYSTEM'}", found ${describe(text, k)}`);
    k = skipWhitespace(text, k);
    if (isPublic) {
      const [from, to, after] = scanQuoted(text, k, 'the public identifier');
      for (let p = from; p < to; p++) {
        if (!/[ \r\na-zA-Z0-9\-'()+,./:=?;!*#@$_%]/.test(text[p]!)) fail(p, `${describe(text, p)} is not allowed in a public identifier`);
      }
      k = after;
      if (!isWhitespace(text.charCodeAt(k))) fail(k, `expected whitespace and a system identifier after the public identifier, found ${describe(text, k)}`);
      k = skipWhitespace(text, k);
    }
    k = scanQuoted(text, k, 'the system identifier')[2];
    s = skipWhitespace(text, k);
  }
  if (text.charCodeAt(s) === 0x5b /* [ */) {
    fail(s, 'a DOCTYPE with an internal subset ([…]) is not accepted: entity and other declarations are not supported');
  }
  if (text.charCodeAt(s) !== 0x3e) fail(s, `expected ">" to end the DOCTYPE, found ${describe(text, s)}`);
  return s + 1;
}

/** Whether the names at [a, a+len) and [b, b+len) are the same. */
function sameName(text: string, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

/**
 * A start tag at `i` (its `<`) whose name ends at `nameEnd`. Returns the offset after it, negated
 * when it was an empty-element tag (`/>`). `attrStarts` and `attrLengths` are scratch space.
 */
function scanStartTag(text: string, i: number, end: number, attrStarts: number[], attrLengths: number[]): number {
  const n = text.length;
  let k = end;
  let attrs = 0;
  for (;;) {
    const before = k;
    k = skipWhitespace(text, k);
    const c = text.charCodeAt(k);
    if (c === 0x3e /* > */) return k + 1;
    if (c === 0x2f /* / */) {
      if (text.charCodeAt(k + 1) !== 0x3e) fail(k + 1, `expected ">" after "/" in the tag <${text.slice(i + 1, end)}>, found ${describe(text, k + 1)}`);
      return -(k + 2);
    }
    if (k >= n) fail(n, `the tag <${text.slice(i + 1, end)}> is not closed (">" expected)`);
    const attrStart = k;
    const attrEnd = nameEnd(text, k);
    if (attrEnd === k) {
      if (c === 0x3c) fail(k, `"<" inside the tag <${text.slice(i + 1, end)}>: the tag is not closed`);
      fail(k, `expected an attribute name, ">" or "/>" in the tag <${text.slice(i + 1, end)}>, found ${describe(text, k)}`);
    }
    if (k === before) fail(k, `expected whitespace before the attribute "${text.slice(attrStart, attrEnd)}" in the tag <${text.slice(i + 1, end)}>`);
    // No attribute twice: compared with those before it in this tag (a tag has few).
    const len = attrEnd - k;
    for (let a = 0; a < attrs; a++) {
      if (attrLengths[a] === len && sameName(text, attrStarts[a]!, k, len)) fail(k, `the attribute "${text.slice(attrStart, attrEnd)}" appears twice in the tag <${text.slice(i + 1, end)}>`);
    }
    attrStarts[attrs] = k;
    attrLengths[attrs] = len;
    attrs++;
    k = skipWhitespace(text, attrEnd);
    if (text.charCodeAt(k) !== 0x3d /* = */) {
      fail(attrStart, `the attribute "${text.slice(attrStart, attrEnd)}" of <${text.slice(i + 1, end)}> has no value ("=" and a quoted value expected, found ${describe(text, k)})`);
    }
    k = skipWhitespace(text, k + 1);
    const q = text.charCodeAt(k);
    if (q !== 0x22 && q !== 0x27) fail(k, `the value of the attribute "${text.slice(attrStart, attrEnd)}" of <${text.slice(i + 1, end)}> must be in quotes, found ${describe(text, k)}`);
    k++;
    for (;;) {
      let v = text.charCodeAt(k);
      while (v >= 0x20 && v < 0xd800 && v !== q && v !== 0x3c && v !== 0x26) v = text.charCodeAt(++k);
      if (k >= n) fail(k, `the value of the attribute "${text.slice(attrStart, attrEnd)}" of <${text.slice(i + 1, end)}> has no closing quote`);
      if (v === q) break;
      if (v === 0x3c) fail(k, `"<" is not allowed in an attribute value (the attribute "${text.slice(attrStart, attrEnd)}" of <${text.slice(i + 1, end)}>); write "&lt;"`);
      if (v === 0x26) k = scanReference(text, k);
      else if (v >= 0x20 && v < 0xd800) k++;
      else k = legalCharEnd(text, k);
    }
    k++;
  }
}

/**
 * The root element at `i` and everything in it; returns the offset after its end tag. The open
 * elements are a stack of (name offset, name length).
 */
function scanRootElement(text: string, i: number): number {
  const n = text.length;
  const openStarts: number[] = [];
  const openLengths: number[] = [];
  const attrStarts: number[] = [];
  const attrLengths: number[] = [];
  let k = i;
  // At a "<" that starts a tag.
  tag: for (;;) {
    const end = requireName(text, k + 1, 'an element name after "<"');
    const after = scanStartTag(text, k, end, attrStarts, attrLengths);
    if (after < 0) {
      if (openStarts.length === 0) return -after;
      k = -after;
    } else {
      openStarts.push(k + 1);
      openLengths.push(end - k - 1);
      k = after;
    }
    // Content, up to the next tag.
    for (;;) {
      // Plain text, the common case, in a tight loop (past the end, NaN ends it).
      let c = text.charCodeAt(k);
      while (c >= 0x20 && c < 0xd800 && c !== 0x3c && c !== 0x26 && c !== 0x5d) c = text.charCodeAt(++k);
      if (k >= n) {
        const top = openStarts.length - 1;
        const name = text.slice(openStarts[top], openStarts[top]! + openLengths[top]!);
        fail(n, `the element <${name}> is not closed (</${name}> expected)`);
      }
      if (c === 0x3c /* < */) {
        const d = text.charCodeAt(k + 1);
        if (d === 0x2f /* / */) {
          const top = openStarts.length - 1;
          const start = openStarts[top]!;
          const len = openLengths[top]!;
          const end = requireName(text, k + 2, 'an element name after "</"');
          if (end - k - 2 !== len || !sameName(text, start, k + 2, len)) {
            fail(k, `the end tag </${text.slice(k + 2, end)}> does not match the open element <${text.slice(start, start + len)}>`);
          }
          const close = skipWhitespace(text, end);
          if (text.charCodeAt(close) !== 0x3e) fail(close, `expected ">" to end the tag </${text.slice(start, start + len)}>, found ${describe(text, close)}`);
          openStarts.pop();
          openLengths.pop();
          k = close + 1;
          if (openStarts.length === 0) return k;
        } else if (d === 0x21 /* ! */) {
          if (text.startsWith('<!--', k)) k = scanComment(text, k);
          else if (text.startsWith('<![CDATA[', k)) k = scanCdata(text, k);
          else if (text.startsWith('<!DOCTYPE', k)) fail(k, 'a DOCTYPE is allowed only before the root element');
          else fail(k, `expected a comment ("<!--") or a CDATA section ("<![CDATA[") after "<!"`);
        } else if (d === 0x3f /* ? */) {
          k = scanPi(text, k);
        } else {
          continue tag;
        }
      } else if (c === 0x26 /* & */) {
        k = scanReference(text, k);
      } else if (c === 0x5d /* ] */ && text.charCodeAt(k + 1) === 0x5d && text.charCodeAt(k + 2) === 0x3e) {
        fail(k, '"]]>" is not allowed in text (it ends a CDATA section); write "]]&gt;"');
      } else if (c >= 0x20 && c < 0xd800) {
        k++;
      } else {
        k = legalCharEnd(text, k);
      }
    }
  }
}

/** Where the document is not well-formed XML 1.0, or null when it is. */
export function findXmlSyntaxProblem(text: string): XmlSyntaxProblem | null {
  try {
    scanDocument(text);
    return null;
  } catch (err) {
    if (err instanceof Problem) return { offset: err.offset, message: err.message };
    throw err;
  }
}

function scanDocument(text: string): void {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte order mark
  // `<?xml-stylesheet …?>` is a processing instruction, `<?xml …?>` the declaration.
  if (text.startsWith('<?xml', i) && nameEnd(text, i + 2) === i + 5) i = scanXmlDeclaration(text, i);
  let root = false;
  let doctype = false;
  for (;;) {
    i = skipWhitespace(text, i);
    if (i >= n) break;
    const c = text.charCodeAt(i);
    if (c !== 0x3c /* < */) {
      // Not allowed out here whatever it is; say why for a character XML forbids anywhere.
      if (!((c >= 0x20 && c < 0xd800) || c === 0x9 || c === 0xa || c === 0xd)) legalCharEnd(text, i);
      if (c === 0x26) fail(i, `a reference is not allowed ${root ? 'after' : 'before'} the root element`);
      fail(i, root
        ? `text after the root element: only comments, processing instructions and whitespace may follow it (found ${describe(text, i)})`
        : `text before the root element: only the XML declaration, a DOCTYPE, comments, processing instructions and whitespace may precede it (found ${describe(text, i)})`);
    }
    const d = text.charCodeAt(i + 1);
    if (d === 0x3f /* ? */) {
      i = scanPi(text, i);
    } else if (text.startsWith('<!--', i)) {
      i = scanComment(text, i);
    } else if (text.startsWith('<!DOCTYPE', i)) {
      if (root) fail(i, 'a DOCTYPE is allowed only before the root element');
      if (doctype) fail(i, 'a document may have only one DOCTYPE');
      i = scanDoctype(text, i);
      doctype = true;
    } else if (d === 0x21 /* ! */) {
      fail(i, text.startsWith('<![CDATA[', i) ? `a CDATA section is not allowed ${root ? 'after' : 'before'} the root element` : 'expected a comment ("<!--") or a DOCTYPE after "<!"');
    } else if (d === 0x2f /* / */) {
      const end = nameEnd(text, i + 2);
      fail(i, `the end tag </${text.slice(i + 2, end)}> has no start tag`);
    } else {
      if (root) fail(i, `a second root element <${text.slice(i + 1, requireName(text, i + 1, 'an element name after "<"'))}>: a document has exactly one root element`);
      i = scanRootElement(text, i);
      root = true;
    }
  }
  if (!root) fail(n, 'the document has no root element');
}
