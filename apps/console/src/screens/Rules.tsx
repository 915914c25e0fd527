import { useT } from '../i18n/index.tsx';

export function RulesScreen() {
  const t = useT();
  return <h1>{t('nav.rules')}</h1>;
}
