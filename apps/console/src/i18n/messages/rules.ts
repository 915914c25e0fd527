import type { Messages } from '../catalogs.ts';

// Strings of the rules screens: keys start with "rules.".
const messages: Messages = {
  en: {},
  it: {},
  nb: {},
  de: {},
};
export default messages;
