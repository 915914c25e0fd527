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
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

type State = 'value' | 'firstValue' | 'key' | 'firstKey' | 'after';

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function describe(text: string, i: number): string {
  if (i >= text.length) return 'the end of the document';
  const cp = text.codePointAt(i) ?? 0;
  return cp < 0x20 || cp === 0x7f ? `character U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `"${String.fromCodePoint(cp)}"`;
}

/** Scans a string starting at its opening quote; returns the offset after the closing quote, or a problem. */
function scanString(text: string, start: number): number | JsonSyntaxProblem {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return { offset: i, message: `${describe(text, i)} must be escaped inside a string` };
    if (c === 0x5c) {
      const e = text[i + 1];
      if (e === 'u') {
        for (let k = 2; k < 6; k++) {
          if (!isHex(text.charCodeAt(i + k))) return { offset: i, message: 'invalid \\u escape in a string' };
        }
        i += 6;
        continue;
      }
      if (e === undefined || !'"\\/bfnrt'.includes(e)) return { offset: i, message: 'invalid escape in a string' };
      i += 2;
      continue;
    }
    i++;
  }
  return { offset: text.length, message: 'unterminated string' };
}

export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | null {
  const stack: number[] = [];
  let state: State = 'value';
  let i = 0;
  const n = text.length;
  for (;;) {
    while (i < n && isWhitespace(text.charCodeAt(i))) i++;
    if (i >= n) {
      if (state === 'after' && stack.length === 0) return null;
      return { offset: n, message: n === 0 || text.trim() === '' ? 'the document is empty' : 'unexpected end of the document' };
    }
    const c = text[i];
    switch (state) {
      case 'value':
      case 'firstValue': {
        if (state === 'firstValue' && c === ']') {
          stack.pop();
          i++;
          state = 'after';
        } else if (c === '{') {
          stack.push(OBJECT);
          i++;
          state = 'firstKey';
        } else if (c === '[') {
          stack.push(ARRAY);
          i++;
          state = 'firstValue';
        } else if (c === '"') {
          const end = scanString(text, i);
          if (typeof end !== 'number') return end;
          i = end;
          state = 'after';
        } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
          NUMBER.lastIndex = i;
          const m = NUMBER.exec(text);
          if (m === null) return { offset: i, message: 'invalid number' };
          i += m[0].length;
          state = 'after';
        } else {
          const literal = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
          if (literal === undefined) return { offset: i, message: `unexpected ${describe(text, i)}, expected a value` };
          i += literal.length;
          state = 'after';
        }
        break;
      }
      case 'key':
      case 'firstKey': {
        if (state === 'firstKey' && c === '}') {
          stack.pop();
          i++;
          state = 'after';
          break;
        }
        if (c !== '"') return { offset: i, message: `unexpected ${describe(text, i)}, expected a property name in double quotes` };
        const end = scanString(text, i);
        if (typeof end !== 'number') return end;
        i = end;
        while (i < n && isWhitespace(text.charCodeAt(i))) i++;
        if (text[i] !== ':') return { offset: i, message: `unexpected ${describe(text, i)}, expected ":" after a property name` };
        i++;
        state = 'value';
        break;
      }
      case 'after': {
        const top = stack[stack.length - 1];
        if (top === undefined) return { offset: i, message: `unexpected ${describe(text, i)} after the end of the document` };
        if (c === ',') {
          i++;
          state = top === OBJECT ? 'key' : 'value';
        } else if ((c === ']' && top === ARRAY) || (c === '}' && top === OBJECT)) {
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
