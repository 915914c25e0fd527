import { describe, expect, it } from 'vitest';
import { catalogParts, catalogs } from './catalogs.ts';
import { LOCALES, preferredLocale, translate } from './index.tsx';

describe('message catalogs', () => {
  it.each(LOCALES.filter((l) => l !== 'en'))('%s has every key that English has, and no other', (locale) => {
    for (const part of catalogParts) {
      const missing = Object.keys(part.en).filter((k) => !(k in part[locale]));
      const extra = Object.keys(part[locale]).filter((k) => !(k in part.en));
      expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    }
  });

  it('keeps the same {placeholders} in every language', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const locale of LOCALES) {
      for (const [key, text] of Object.entries(catalogs.en)) {
        expect({ key, names: names(catalogs[locale][key] ?? '') }).toEqual({ key, names: names(text) });
      }
    }
  });

  it('has no empty string', () => {
    for (const locale of LOCALES) for (const [key, text] of Object.entries(catalogs[locale])) expect({ key, empty: text.trim() === '' }).toEqual({ key, empty: false });
  });

  it('reads the browser preference, Norwegian tags as Bokmål, English otherwise', () => {
    expect(preferredLocale(['it-IT', 'en'])).toBe('it');
    expect(preferredLocale(['no'])).toBe('nb');
    expect(preferredLocale(['nn-NO'])).toBe('nb');
    expect(preferredLocale(['de-AT'])).toBe('de');
    expect(preferredLocale(['fr-FR', 'es'])).toBe('en');
  });

  it('fills placeholders and falls back to English', () => {
    expect(translate(catalogs.de, 'common.signedInAs', { account: 'a1', role: 'admin' })).toBe('Konto a1 · Rolle admin');
    expect(translate({}, 'nav.log')).toBe('Log');
  });
});
