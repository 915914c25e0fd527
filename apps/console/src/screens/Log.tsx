import { useT } from '../i18n/index.tsx';

export function LogScreen({ params: _params }: { params: URLSearchParams }) {
  const t = useT();
  return <h1>{t('nav.log')}</h1>;
}
