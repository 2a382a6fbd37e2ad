import { CreateAuthoritySchema1764300000000 } from './1764300000000-CreateAuthoritySchema.js';

/** In order. Add new migrations at the end; never edit one that has shipped. */
export const AUTHORITY_MIGRATIONS = [CreateAuthoritySchema1764300000000];
