/**
 * The seed's placeholder form (F3): `{{ticket:ref}}`, written by the Norwegian seed as
 * `{{ticket: ref}}` and, generically, `{{ $MODEL:$ATTRIBUTE }}` (even `{{ $ MODEL: $ ATTRIBUTE }}`).
 * Each is the same thing as the Liquid output `{{ ticket.ref }}`.
 *
 * Rules:
 * - Only an output tag whose whole content is `<model>:<path>` is rewritten (optional `$` before the
 *   model and the path, whitespace anywhere between the parts, Liquid's `{{-` / `-}}` trim markers
 *   kept). Anything else inside `{{ }}` — a filter such as `{{ a | date: "%Y" }}`, a string — is
 *   real Liquid and left alone, as is everything in `{% tags %}` and `{% raw %}` blocks.
 * - The model is case-insensitive: it is rewritten in lower case, and the render context offers the
 *   record under the lower-cased entity type as well (`{{Ticket:ref}}`, `{{TICKET:ref}}` and
 *   `{{ticket:ref}}` are the same placeholder). The attribute path is case-sensitive: it names keys
 *   of the event's data, which are JSON keys.
 * - The path may be dotted (`ticket:customer.name`) and use array indexes (`ticket:items.0.name`).
 *   Names are letters, digits, `_` and inner `-`.
 * - The rewrite keeps the template's length and line breaks: `{{ticket: ref}}` becomes
 *   `{{ticket.ref }}`, so a Liquid error's line and column still point into the text the author wrote.
 */

const NAME = String.raw`[A-Za-z_](?:[\w-]*\w)?`;
const SEGMENT = String.raw`\w(?:[\w-]*\w)?`;
const PLACEHOLDER = new RegExp(
  String.raw`^\{\{(-?)\s*\$?\s*(${NAME})\s*:\s*\$?\s*(${SEGMENT}(?:\.${SEGMENT})*)\s*(-?)\}\}$`,
);
const RAW_TAG = /^\{%-?\s*raw(?![\w-])/;
const END_RAW = /\{%-?\s*endraw(?![\w-])[^]*?%\}/g;

/** Rewrites one `{{ … }}` output tag if it is exactly a placeholder; otherwise returns it unchanged. */
export function rewritePlaceholderTag(tag: string): string {
  const m = PLACEHOLDER.exec(tag);
  if (m === null) return tag;
  const [, trimLeft = '', model = '', path = '', trimRight = ''] = m;
  const replacement = `${model.toLowerCase()}.${path}`;
  const inner = tag.slice(2 + trimLeft.length, tag.length - 2 - trimRight.length);
  // Pad with what was dropped (`$`, `:`, blanks) as spaces, keeping its line breaks.
  const dropped = inner.length - replacement.length;
  const newlines = inner.replace(/[^\n]/g, '');
  const padding = ' '.repeat(dropped - newlines.length) + newlines;
  return `{{${trimLeft}${replacement}${padding}${trimRight}}}`;
}

/** Finds where a `{{ … }}` output that starts at `from` ends (after `}}`), skipping quoted strings as Liquid does; -1 if unclosed. */
function outputEnd(body: string, from: number): number {
  let i = from + 2;
  while (i < body.length) {
    const c = body[i];
    if (c === '"' || c === "'") {
      const close = body.indexOf(c, i + 1);
      if (close === -1) return -1;
      i = close + 1;
      continue;
    }
    if (c === '}' && body[i + 1] === '}') return i + 2;
    i++;
  }
  return -1;
}

/** Rewrites every seed placeholder in a template body into a Liquid output tag. See the rules above. */
export function rewritePlaceholders(body: string): string {
  if (!body.includes(':')) return body;
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < body.length) {
    const open = body.indexOf('{', i);
    if (open === -1 || open + 1 >= body.length) break;
    const next = body[open + 1];
    if (next === '%') {
      const close = body.indexOf('%}', open + 2);
      if (close === -1) break;
      i = close + 2;
      if (RAW_TAG.test(body.slice(open, close + 2))) {
        END_RAW.lastIndex = i;
        const end = END_RAW.exec(body);
        if (end === null) break;
        i = end.index + end[0].length;
      }
    } else if (next === '{') {
      const end = outputEnd(body, open);
      if (end === -1) break;
      const tag = body.slice(open, end);
      const rewritten = rewritePlaceholderTag(tag);
      if (rewritten !== tag) {
        out += body.slice(copied, open) + rewritten;
        copied = end;
      }
      i = end;
    } else {
      i = open + 1;
    }
  }
  return copied === 0 ? body : out + body.slice(copied);
}
