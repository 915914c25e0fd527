import type { Messages } from '../catalogs.ts';

// Strings of the log screens: keys start with "log.".
const messages: Messages = {
  en: {},
  it: {},
  nb: {},
  de: {},
};
export default messages;
