import { SaxesParser } from 'saxes';

/**
 * For tests only: whether saxes, a strict XML 1.0 parser written independently of ours, accepts a
 * document. The oracle that xml-check.ts is tested against, and the independent check of what the
 * XML escaping produces. (saxes is lax in a few places; see xml-check.test.ts.)
 */
export function saxesAccepts(text: string): boolean {
  const parser = new SaxesParser();
  let ok = true;
  parser.on('error', () => {
    ok = false;
  });
  try {
    parser.write(text).close();
  } catch {
    ok = false;
  }
  return ok;
}
