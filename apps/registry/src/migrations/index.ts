import { CreateRegistrySchema1764300100000 } from './1764300100000-CreateRegistrySchema.js';

/** In order. Add new migrations at the end; never edit one that has shipped. */
export const REGISTRY_MIGRATIONS = [CreateRegistrySchema1764300100000];
