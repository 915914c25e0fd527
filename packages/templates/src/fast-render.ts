import {
  Drop,
  ForTag,
  IfTag,
  Liquid,
  LiquidError,
  Output,
  RenderError,
  TokenKind,
  UndefinedVariableError,
  UnlessTag,
  evalToken,
  isTruthy,
  toValue,
  toValueSync,
  type Context,
  type Emitter,
  type Expression,
  type Filter,
  type Template,
  type Token,
  type Value,
} from 'liquidjs';
import { textOutput } from './escape.ts';

/**
 * A synchronous renderer for liquidjs templates (internal).
 *
 * liquidjs evaluates every value through nested generators, driven by `toValueSync` even when
 * rendering synchronously; for a typical webhook schema that is ~10k renders/s on one core. This
 * walks the same parsed templates with plain function calls for the nodes that dominate payload
 * templates — text, `{{ output }}` (variables, literals, operators, filters), `if`/`unless` and `for` —
 * and hands every other tag to liquidjs' own `render`, whose nested bodies come back here through
 * `liquid.renderer.renderTemplates`. It mirrors liquidjs 10.30's `Render.renderTemplates`,
 * `Value.value`, `Expression.evaluate`, `Filter.render`, `evalPropertyAccessToken`,
 * `Context._get` and the If/Unless/For tags line for line (reading properties through liquidjs' own
 * `Context.readProperty`), so output and errors are the same; fast-render.test.ts renders a corpus
 * of templates both ways and compares. liquidjs is pinned to an exact version for this reason.
 */

type AnyFn = (...args: unknown[]) => unknown;

/** What liquidjs keeps private but this renderer needs. */
interface FilterInternals {
  handler: AnyFn;
  liquid: Liquid;
  token: Token;
  args: (Token | [string, Token])[];
}
interface PropertyAccess extends Token {
  variable: Token | undefined;
  props: Token[];
}
interface ContextInternals {
  findScope(key: unknown): object;
}

/** Same name and message as liquidjs' own (unexported) class: `lenientIf` and error messages rely on them. */
class InternalUndefinedVariableError extends Error {
  override readonly name = 'InternalUndefinedVariableError';
  constructor(readonly variableName: string) {
    super(`undefined variable: ${variableName}`);
  }
}

function isIterator(val: unknown): val is Generator {
  if (typeof val !== 'object' || val === null) return false;
  const v = val as { next?: unknown; throw?: unknown; return?: unknown };
  return typeof v.next === 'function' && typeof v.throw === 'function' && typeof v.return === 'function';
}

function settle(val: unknown): unknown {
  return isIterator(val) ? toValueSync(val) : val;
}

function readVariable(token: PropertyAccess, ctx: Context, lenient: boolean): unknown {
  const props = token.props;
  const paths: unknown[] = new Array(props.length);
  for (let i = 0; i < props.length; i++) {
    const prop = props[i] as Token & { content?: unknown };
    const key = prop.content;
    paths[i] = typeof key === 'string' || typeof key === 'number' ? key : settle(toValue(evalTok(prop, ctx, false)));
  }
  try {
    let scope: unknown = (ctx as unknown as ContextInternals).findScope(paths[0]);
    for (let i = 0; i < paths.length; i++) {
      scope = settle(ctx.readProperty(scope as object, paths[i] as string));
      if (ctx.strictVariables && scope === undefined) {
        throw new InternalUndefinedVariableError(paths.slice(0, i + 1).join('.'));
      }
    }
    return scope;
  } catch (e) {
    if (lenient && (e as Error).name === 'InternalUndefinedVariableError') return null;
    throw new UndefinedVariableError(e as Error, token);
  }
}

function evalTok(token: Token | undefined, ctx: Context, lenient: boolean): unknown {
  if (!token) return undefined;
  if (token.kind === TokenKind.PropertyAccess) {
    if (!(token as PropertyAccess).variable) return readVariable(token as PropertyAccess, ctx, lenient);
  } else if ('content' in token) {
    return (token as { content: unknown }).content;
  }
  return toValueSync(evalToken(token, ctx, lenient));
}

function evalExpression(expr: Expression, ctx: Context, lenient: boolean): unknown {
  const postfix = expr.postfix;
  const only = postfix[0];
  if (postfix.length === 1 && only !== undefined && only.kind !== TokenKind.Operator) return evalTok(only, ctx, lenient);
  const operands: unknown[] = [];
  const operators = ctx.opts.operators as unknown as Record<string, AnyFn>;
  for (const token of postfix) {
    if (token.kind === TokenKind.Operator) {
      const operator = (token as unknown as { operator: string }).operator;
      const impl = operators[operator] as AnyFn;
      const r = operands.pop();
      // liquidjs' operatorTypes: `not` is the one unary operator.
      const result = operator === 'not' ? impl(r, ctx) : impl(operands.pop(), r, ctx);
      operands.push(settle(result));
    } else {
      operands.push(evalTok(token, ctx, lenient));
    }
  }
  return operands[0];
}

/** Filters that take one argument and ignore `this` (our output escapers): called directly. */
const plainFilters = new WeakSet<AnyFn>();
export function markPlainFilter(fn: (value: unknown) => unknown): void {
  plainFilters.add(fn as AnyFn);
}

function applyFilter(filter: Filter, value: unknown, ctx: Context): unknown {
  const f = filter as unknown as FilterInternals;
  const args = f.args;
  if (args.length === 0) {
    if (plainFilters.has(f.handler)) return settle(f.handler(value));
    return settle(f.handler.call({ context: ctx, token: f.token, liquid: f.liquid }, value));
  }
  const argv: unknown[] = [value];
  for (const arg of args) {
    argv.push(Array.isArray(arg) ? [arg[0], evalTok(arg[1], ctx, false)] : evalTok(arg, ctx, false));
  }
  return settle(f.handler.apply({ context: ctx, token: f.token, liquid: f.liquid }, argv));
}

function evalValue(value: Value, ctx: Context, lenient: boolean): unknown {
  const filters = value.filters;
  const first = filters[0];
  const len = lenient || (ctx.opts.lenientIf && first !== undefined && first.name === 'default');
  let val = evalExpression(value.initial, ctx, len);
  for (let i = 0; i < filters.length; i++) val = applyFilter(filters[i] as Filter, val, ctx);
  return val;
}

function renderIf(tag: IfTag, ctx: Context, emitter: Emitter): void {
  for (const { value, templates } of tag.branches) {
    const v = settle(toValue(evalValue(value, ctx, ctx.opts.lenientIf)));
    if (isTruthy(v, ctx)) {
      renderTemplatesFast(templates, ctx, emitter);
      return;
    }
  }
  renderTemplatesFast(tag.elseTemplates ?? [], ctx, emitter);
}

function renderUnless(tag: UnlessTag, ctx: Context, emitter: Emitter): void {
  for (const { value, test, templates } of tag.branches) {
    const v = settle(toValue(evalValue(value, ctx, ctx.opts.lenientIf)));
    if (test(v, ctx)) {
      renderTemplatesFast(templates, ctx, emitter);
      return;
    }
  }
  renderTemplatesFast(tag.elseTemplates, ctx, emitter);
}

const MODIFIERS = ['offset', 'limit', 'reversed'];

interface Forloop extends Drop {
  next(): void;
}
type ForloopConstructor = new (length: number, collection: string, variable: string) => Forloop;

/** liquidjs does not export its ForloopDrop: take the class from a loop it renders once. */
function probeForloopDrop(): ForloopConstructor | undefined {
  let found: ForloopConstructor | undefined;
  const probe = new Liquid();
  probe.registerFilter('probe', (v: unknown) => {
    if (v instanceof Drop && typeof (v as Partial<Forloop>).next === 'function') found = v.constructor as ForloopConstructor;
    return '';
  });
  probe.parseAndRenderSync('{% for x in (1..1) %}{{ forloop | probe }}{% endfor %}');
  return found;
}
const ForloopDrop = probeForloopDrop();

function isObject(value: unknown): value is object {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

function toEnumerable(input: unknown): unknown[] {
  const val = toValue(input);
  if (Array.isArray(val)) return val;
  if (typeof val === 'string' && val.length > 0) return [val];
  if (isObject(val) && Symbol.iterator in val) return Array.from(val as Iterable<unknown>);
  if (isObject(val)) return Object.keys(val).map((key) => [key, (val as Record<string, unknown>)[key]]);
  return [];
}

function createScope(from: object): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, from);
}

function renderFor(tag: ForTag, ctx: Context, emitter: Emitter, Forloop: ForloopConstructor): void {
  let collection = toEnumerable(evalTok(tag.collection, ctx, false));
  if (!collection.length) {
    renderTemplatesFast(tag.elseTemplates, ctx, emitter);
    return;
  }
  const continueKey = 'continue-' + tag.variable + '-' + tag.collection.getText();
  ctx.push(createScope({ continue: ctx.getRegister(continueKey, {}) }));
  const hash: Record<string, unknown> = {};
  const hashTokens = tag.hash.hash as Record<string, Token | undefined>;
  for (const key of Object.keys(hashTokens)) {
    const t = hashTokens[key];
    hash[key] = t === undefined ? true : evalTok(t, ctx, false);
  }
  ctx.pop();
  const modifiers = (ctx.liquid as Liquid).options.orderedFilterParameters
    ? Object.keys(hash).filter((x) => MODIFIERS.includes(x))
    : MODIFIERS.filter((x) => hash[x] !== undefined);
  collection = modifiers.reduce((c, modifier) => {
    if (modifier === 'offset') return c.slice(hash['offset'] as number);
    if (modifier === 'limit') return c.slice(0, hash['limit'] as number);
    return [...c].reverse();
  }, collection);
  ctx.setRegister(continueKey, ((hash['offset'] as number) || 0) + collection.length);
  const forloop = new Forloop(collection.length, tag.collection.getText(), tag.variable);
  const scope = createScope({ forloop });
  ctx.push(scope);
  for (const item of collection) {
    scope[tag.variable] = item;
    ctx.continueCalled = ctx.breakCalled = false;
    renderTemplatesFast(tag.templates, ctx, emitter);
    if (ctx.breakCalled) break;
    forloop.next();
  }
  ctx.continueCalled = ctx.breakCalled = false;
  ctx.pop();
}

/** Collects output when liquidjs renders without an emitter (e.g. `{% capture %}`). */
class StringEmitter implements Emitter {
  buffer = '';
  write(html: unknown): void {
    this.buffer += typeof html === 'string' ? html : textOutput(html);
  }
}

// The clock is read every 16th template list or tag, not at each one as liquidjs does: reading it
// cost more than rendering a typical output. Loops render a template list per iteration, so a
// runaway loop is still stopped within a few iterations of the deadline.
let ticks = 0;
function checkTime(ctx: Context): void {
  if ((++ticks & 15) === 0) ctx.renderLimit.check(performance.now());
}

/** The synchronous counterpart of liquidjs' `Render.renderTemplates`. */
export function renderTemplatesFast(templates: Template[], ctx: Context, emitter: Emitter = new StringEmitter()): string {
  checkTime(ctx);
  for (const tpl of templates) {
    try {
      if (tpl.token.kind === TokenKind.HTML) {
        emitter.write((tpl as unknown as { str: string }).str);
      } else if (tpl instanceof Output) {
        emitter.write(settle(toValue(evalValue(tpl.value, ctx, false))));
      } else {
        checkTime(ctx);
        if (tpl instanceof IfTag) renderIf(tpl, ctx, emitter);
        else if (tpl instanceof UnlessTag) renderUnless(tpl, ctx, emitter);
        else if (tpl instanceof ForTag && ForloopDrop !== undefined) renderFor(tpl, ctx, emitter, ForloopDrop);
        else {
          const html = toValueSync(tpl.render(ctx, emitter));
          if (html) emitter.write(html);
        }
      }
      if (ctx.breakCalled || ctx.continueCalled) break;
    } catch (e) {
      throw LiquidError.is(e) ? e : new RenderError(e as Error, tpl);
    }
  }
  return emitter.buffer;
}

/** Makes an engine's synchronous renders (and the bodies its tags render) go through renderTemplatesFast. */
export function installFastRenderer(engine: Liquid): void {
  const renderer = engine.renderer;
  const generic = renderer.renderTemplates.bind(renderer);
  renderer.renderTemplates = function (templates: Template[], ctx: Context, emitter?: Emitter) {
    if (!ctx.sync || ctx.opts.catchAllErrors || ctx.opts.keepOutputType) return generic(templates, ctx, emitter);
    return renderTemplatesFast(templates, ctx, emitter) as unknown as ReturnType<typeof generic>;
  };
}
