import type { Messages } from '../catalogs.ts';

// Strings of the schemas screens: keys start with "schemas.".
const messages: Messages = {
  en: {},
  it: {},
  nb: {},
  de: {},
};
export default messages;
