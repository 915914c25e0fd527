/**
 * Every string of the console, by language. Each screen keeps its strings in its own file
 * under messages/ (one object per language); this file merges them. English is complete by
 * definition; catalogs.test.ts fails when another language lacks a key that English has.
 */
import common from './messages/common.ts';
import webhooks from './messages/webhooks.ts';
import log from './messages/log.ts';
import schemas from './messages/schemas.ts';
import rules from './messages/rules.ts';

export type Catalog = Record<string, string>;
export type Messages = Record<'en' | 'it' | 'nb' | 'de', Catalog>;

const parts: Messages[] = [common, webhooks, log, schemas, rules];

function merge(lang: keyof Messages): Catalog {
  return Object.assign({}, ...parts.map((p) => p[lang]));
}

export const catalogs: Messages = { en: merge('en'), it: merge('it'), nb: merge('nb'), de: merge('de') };
export const catalogParts = parts;
