import {
  AssertionError,
  CaptureTag,
  Context,
  Liquid,
  Tag,
  filters as builtinFilters,
  toValueSync,
  type Emitter,
  type FS,
  type FilterImplOptions,
  type TagToken,
  type Template,
  type TopLevelToken,
} from 'liquidjs';
import type { SchemaContentType } from './content-types.ts';
import { JsonText, escaperFor, textOutput } from './escape.ts';
import { installFastRenderer, markPlainFilter } from './fast-render.ts';

/**
 * The sandboxed liquidjs engines, one per content type (the output escaper is fixed when a
 * template is parsed, so each content type needs its own engine); strict mode is chosen per render.
 * Internal to this package: use compileTemplate / render.
 *
 * Sandbox:
 * - no file system: `include`, `render` and `layout` are refused when the template is parsed, and the
 *   engine's `fs` is a stub that refuses every read, with no roots, as a second wall;
 * - bounded: liquidjs' `parseLimit`, `renderLimit` (time) and `memoryLimit` (with a bound on any
 *   single allocation, see MemoryBudget), plus an output bound enforced by our emitter (and
 *   `{% capture %}` charges what it captures to the memory limit);
 * - fast: synchronous renders go through fast-render.ts (same results, ~10× the throughput);
 * - deterministic: dates in UTC, `en-US` locale; unknown filters are errors (`strictFilters`);
 *   only own properties of the context are visible (`ownPropertyOnly`); in strict mode `if`/`unless`
 *   and `default` may still test a missing attribute (`lenientIf`).
 */

function refuse(): never {
  throw new Error('schemas cannot read files');
}

const NO_FILES: FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async () => refuse(),
  readFileSync: () => refuse(),
  resolve: () => refuse(),
  contains: async () => false,
  containsSync: () => false,
};

function refusedTag(name: string) {
  return class RefusedTag extends Tag {
    constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
      super(token, remainTokens, liquid);
      throw new Error(`the "${name}" tag is not allowed: schemas cannot include other templates or files`);
    }
    render(): void {}
  };
}

/** `{% capture %}` that charges what it captured to the render's memory limit (doubling a captured string is otherwise free). */
class BoundedCaptureTag extends CaptureTag {
  override *render(ctx: Context): Generator<unknown, void, string> {
    const html: string = yield this.liquid.renderer.renderTemplates(this.templates, ctx);
    ctx.memoryLimit.use(html.length);
    ctx.bottom()[this.variable] = html;
  }
}

/** What a single allocation over MemoryBudget's per-value bound throws (see template-error.ts). */
export const SINGLE_ALLOCATION_MESSAGE = 'single alloc limit exceeded';

/**
 * liquidjs' memory limiter, plus a bound on any one allocation. liquidjs charges a range
 * `(1..n)` before building it but still builds it, and no time check can interrupt that: with only
 * a total budget, `(1..10000000)` costs a second. No single string or array may be larger than
 * the output may be.
 */
class MemoryBudget {
  private base = 0;
  constructor(
    private readonly limit: number,
    private readonly single: number,
  ) {}
  use(count: number): void {
    const n = +count;
    if (n > 0) {
      if (n > this.single) throw new AssertionError(SINGLE_ALLOCATION_MESSAGE);
      if (this.base + n > this.limit) throw new AssertionError('memory alloc limit exceeded');
      this.base += n;
    }
  }
  check(count: number): void {
    if (+count > this.limit) throw new AssertionError('memory alloc limit exceeded');
  }
}

export class OutputLimitError extends Error {
  constructor(readonly maxOutputBytes: number) {
    super(`the rendered output exceeds ${maxOutputBytes} bytes`);
  }
}

/** Collects the output and stops the render as soon as it is too large. */
class BoundedEmitter implements Emitter {
  buffer = '';
  constructor(private readonly maxOutputBytes: number) {}
  write(html: unknown): void {
    const s = typeof html === 'string' ? html : textOutput(html);
    // A UTF-16 code unit is at least one UTF-8 byte: the byte count is checked exactly at the end.
    if (this.buffer.length + s.length > this.maxOutputBytes) throw new OutputLimitError(this.maxOutputBytes);
    this.buffer += s;
  }
}

function jsonFilter(builtin: FilterImplOptions) {
  const handler = typeof builtin === 'function' ? builtin : builtin.handler;
  return function (this: unknown, ...args: unknown[]): JsonText {
    const text = (handler as (...a: unknown[]) => string | undefined).apply(this, args);
    return new JsonText(text ?? 'null');
  };
}

/** `fast: false` keeps liquidjs' own generator-based renderer (tests compare the two). */
export function createEngine(contentType: SchemaContentType, parseLimit: number, { fast = true } = {}): Liquid {
  const escaper = escaperFor(contentType);
  markPlainFilter(escaper);
  const engine = new Liquid({
    fs: NO_FILES,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    cache: false,
    strictFilters: true,
    strictVariables: false,
    lenientIf: true,
    ownPropertyOnly: true,
    jsTruthy: false,
    timezoneOffset: 0,
    locale: 'en-US',
    outputEscape: escaper,
    parseLimit,
  });
  for (const name of ['include', 'render', 'layout']) engine.registerTag(name, refusedTag(name));
  engine.registerTag('capture', BoundedCaptureTag);
  if (contentType === 'application/json') {
    // `{{ x | json }}` is already JSON: inserted verbatim rather than escaped as string content.
    for (const name of ['json', 'jsonify']) {
      const builtin = builtinFilters[name];
      if (builtin !== undefined) engine.registerFilter(name, jsonFilter(builtin));
    }
  }
  if (fast) installFastRenderer(engine);
  return engine;
}

const engines = new Map<string, Liquid>();

export function engineFor(contentType: SchemaContentType, parseLimit: number): Liquid {
  const key = `${contentType} ${parseLimit}`;
  let engine = engines.get(key);
  if (engine === undefined) {
    engine = createEngine(contentType, parseLimit);
    engines.set(key, engine);
  }
  return engine;
}

export interface RenderRun {
  strict: boolean;
  renderTimeMs: number;
  memoryUnits: number;
  maxOutputBytes: number;
}

/** Renders parsed templates synchronously into a bounded buffer. Throws liquidjs errors or OutputLimitError. */
export function renderParsed(engine: Liquid, templates: Template[], scope: object, run: RenderRun): string {
  // A shallow copy: `{% increment %}` and `{% decrement %}` write into the scope they are given,
  // and one context may serve many renders.
  const ctx = new Context(
    { ...scope },
    engine.options,
    { sync: true, strictVariables: run.strict, renderLimit: run.renderTimeMs },
    { liquid: engine, memoryLimit: new MemoryBudget(run.memoryUnits, run.maxOutputBytes) as unknown as Context['memoryLimit'] },
  );
  const emitter = new BoundedEmitter(run.maxOutputBytes);
  toValueSync(engine.renderer.renderTemplates(templates, ctx, emitter));
  const out = emitter.buffer;
  if (out.length * 3 > run.maxOutputBytes && Buffer.byteLength(out, 'utf8') > run.maxOutputBytes) {
    throw new OutputLimitError(run.maxOutputBytes);
  }
  return out;
}
