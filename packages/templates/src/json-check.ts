/**
 * Checks that a text is one well-formed JSON document (RFC 8259, exactly what `JSON.parse`
 * accepts) and says where it is not, as an offset: `JSON.parse`'s own messages do not carry a
 * position on every Node version. Iterative, so deep nesting cannot overflow the stack.
 */
export interface JsonSyntaxProblem {
  /** UTF-16 offset of the first character that cannot be accepted (the text's length at a premature end). */
  offset: number;
  message: string;
}

const ARRAY = 0;
const OBJECT = 1;

// States, as small integers: the checker runs on every JSON body Herald sends.
const VALUE = 0;
const FIRST_VALUE = 1;
const KEY = 2;
const FIRST_KEY = 3;
const AFTER = 4;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function describe(text: string, i: number): string {
  if (i >= text.length) return 'the end of the document';
  const cp = text.codePointAt(i) ?? 0;
  return cp < 0x20 || cp === 0x7f ? `character U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `"${String.fromCodePoint(cp)}"`;
}

/** Scans a string starting at its opening quote; returns the offset after the closing quote, or a problem. */
function scanString(text: string, start: number): number | JsonSyntaxProblem {
  const n = text.length;
  let i = start + 1;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return { offset: i, message: `${describe(text, i)} must be escaped inside a string` };
    if (c === 0x5c) {
      const e = text.charCodeAt(i + 1);
      if (e === 0x75 /* u */) {
        for (let k = 2; k < 6; k++) {
          if (!isHex(text.charCodeAt(i + k))) return { offset: i, message: 'invalid \\u escape in a string' };
        }
        i += 6;
        continue;
      }
      // " \\ / b f n r t
      if (!(e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
        return { offset: i, message: 'invalid escape in a string' };
      }
      i += 2;
      continue;
    }
    i++;
  }
  return { offset: n, message: 'unterminated string' };
}

/**
 * The end of the longest number at `i` (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`), or -1
 * when none starts there. A fraction or exponent without digits is left out, for the caller to
 * refuse what follows.
 */
function numberEnd(text: string, i: number): number {
  let k = i;
  if (text.charCodeAt(k) === 0x2d /* - */) k++;
  const c = text.charCodeAt(k);
  if (c === 0x30) k++;
  else if (c >= 0x31 && c <= 0x39) {
    k++;
    while (isDigit(text.charCodeAt(k))) k++;
  } else return -1;
  if (text.charCodeAt(k) === 0x2e /* . */ && isDigit(text.charCodeAt(k + 1))) {
    k += 2;
    while (isDigit(text.charCodeAt(k))) k++;
  }
  const e = text.charCodeAt(k);
  if (e === 0x65 || e === 0x45) {
    const sign = text.charCodeAt(k + 1);
    const digits = sign === 0x2b || sign === 0x2d ? k + 2 : k + 1;
    if (isDigit(text.charCodeAt(digits))) {
      k = digits + 1;
      while (isDigit(text.charCodeAt(k))) k++;
    }
  }
  return k;
}

export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | null {
  const stack: number[] = [];
  let state = VALUE;
  let i = 0;
  const n = text.length;
  for (;;) {
    while (i < n && isWhitespace(text.charCodeAt(i))) i++;
    if (i >= n) {
      if (state === AFTER && stack.length === 0) return null;
      return { offset: n, message: n === 0 || text.trim() === '' ? 'the document is empty' : 'unexpected end of the document' };
    }
    const c = text.charCodeAt(i);
    switch (state) {
      case VALUE:
      case FIRST_VALUE: {
        if (state === FIRST_VALUE && c === 0x5d /* ] */) {
          stack.pop();
          i++;
          state = AFTER;
        } else if (c === 0x7b /* { */) {
          stack.push(OBJECT);
          i++;
          state = FIRST_KEY;
        } else if (c === 0x5b /* [ */) {
          stack.push(ARRAY);
          i++;
          state = FIRST_VALUE;
        } else if (c === 0x22 /* " */) {
          const end = scanString(text, i);
          if (typeof end !== 'number') return end;
          i = end;
          state = AFTER;
        } else if (c === 0x2d || isDigit(c)) {
          const end = numberEnd(text, i);
          if (end === -1) return { offset: i, message: 'invalid number' };
          i = end;
          state = AFTER;
        } else {
          const length = text.startsWith('true', i) || text.startsWith('null', i) ? 4 : text.startsWith('false', i) ? 5 : 0;
          if (length === 0) return { offset: i, message: `unexpected ${describe(text, i)}, expected a value` };
          i += length;
          state = AFTER;
        }
        break;
      }
      case KEY:
      case FIRST_KEY: {
        if (state === FIRST_KEY && c === 0x7d /* } */) {
          stack.pop();
          i++;
          state = AFTER;
          break;
        }
        if (c !== 0x22) return { offset: i, message: `unexpected ${describe(text, i)}, expected a property name in double quotes` };
        const end = scanString(text, i);
        if (typeof end !== 'number') return end;
        i = end;
        while (i < n && isWhitespace(text.charCodeAt(i))) i++;
        if (text.charCodeAt(i) !== 0x3a /* : */) return { offset: i, message: `unexpected ${describe(text, i)}, expected ":" after a property name` };
        i++;
        state = VALUE;
        break;
      }
      default: {
        const top = stack[stack.length - 1];
        if (top === undefined) return { offset: i, message: `unexpected ${describe(text, i)} after the end of the document` };
        if (c === 0x2c /* , */) {
          i++;
          state = top === OBJECT ? KEY : VALUE;
        } else if ((c === 0x5d && top === ARRAY) || (c === 0x7d && top === OBJECT)) {
          stack.pop();
          i++;
        } else {
          return { offset: i, message: `unexpected ${describe(text, i)}, expected "," or "${top === OBJECT ? '}' : ']'}"` };
        }
        break;
      }
    }
  }
}
