// class-transformer keeps its @Type metadata in a module its index does not re-export (class-validator-jsonschema
// reads it the same way); the package has no "exports" map, so the deep path resolves, but it ships no types there.
declare module 'class-transformer/cjs/storage.js' {
  import type { MetadataStorage } from 'class-transformer/types/MetadataStorage.js';
  export const defaultMetadataStorage: MetadataStorage;
}
