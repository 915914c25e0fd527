import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { catalogs, type Catalog } from './catalogs.ts';

/** The console's languages: those of the seeds' users (English, Italian, Norwegian Bokmål, German). */
export const LOCALES = ['en', 'it', 'nb', 'de'] as const;
export type Locale = (typeof LOCALES)[number];
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', it: 'Italiano', nb: 'Norsk bokmål', de: 'Deutsch' };

const PICKED = 'herald.console.locale';

/** The browser's first preferred language that the console has (`no`/`nn` read as Bokmål), else English. */
export function preferredLocale(languages: readonly string[]): Locale {
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0]!;
    const mapped = base === 'no' || base === 'nn' ? 'nb' : base;
    if ((LOCALES as readonly string[]).includes(mapped)) return mapped as Locale;
  }
  return 'en';
}

function initialLocale(): Locale {
  try {
    const picked = sessionStorage.getItem(PICKED);
    if (picked && (LOCALES as readonly string[]).includes(picked)) return picked as Locale;
  } catch {
    // storage can be off; the browser's preference stands
  }
  return preferredLocale(typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language]);
}

export type Vars = Record<string, string | number>;
export type Translate = (key: string, vars?: Vars) => string;

/** Looks a key up in a catalog, English as the fallback, and fills `{name}` placeholders. */
export function translate(catalog: Catalog, key: string, vars?: Vars): string {
  const text = catalog[key] ?? catalogs.en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

interface I18n {
  locale: Locale;
  setLocale(l: Locale): void;
  t: Translate;
  /** A date and time in the chosen locale (medium date, time with seconds). */
  formatDateTime(value: string | Date | null | undefined): string;
  formatNumber(n: number): string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children, locale: fixed }: { children: ReactNode; locale?: Locale }) {
  const [locale, setLocaleState] = useState<Locale>(fixed ?? initialLocale);
  const setLocale = useCallback((l: Locale) => {
    setLocaleState(l);
    try {
      sessionStorage.setItem(PICKED, l);
    } catch {
      // not kept; fine
    }
    document.documentElement.lang = l;
  }, []);
  const value = useMemo<I18n>(() => {
    const catalog = catalogs[locale];
    const dateFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
    const numFmt = new Intl.NumberFormat(locale);
    if (typeof document !== 'undefined') document.documentElement.lang = locale;
    return {
      locale,
      setLocale,
      t: (key, vars) => translate(catalog, key, vars),
      formatDateTime: (v) => (v ? dateFmt.format(typeof v === 'string' ? new Date(v) : v) : '—'),
      formatNumber: (n) => numFmt.format(n),
    };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}

export function useT(): Translate {
  return useI18n().t;
}
