/** Log and API masking lives in `@herald/plugin-kit` (the contract suite checks it); re-exported for Herald's own code. */
export { MASK, ALWAYS_SECRET_HEADERS, HERALD_RESERVED_HEADERS, maskConfig, maskHeaders } from '@herald/plugin-kit';
