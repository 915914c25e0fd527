import { useT } from '../i18n/index.tsx';

export function SchemasScreen() {
  const t = useT();
  return <h1>{t('nav.schemas')}</h1>;
}
