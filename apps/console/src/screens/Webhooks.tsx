import { useT } from '../i18n/index.tsx';

export function WebhooksScreen() {
  const t = useT();
  return <h1>{t('nav.webhooks')}</h1>;
}
