import type { Messages } from '../catalogs.ts';

// Strings of the webhooks screens: keys start with "webhooks.".
const messages: Messages = {
  en: {},
  it: {},
  nb: {},
  de: {},
};
export default messages;
