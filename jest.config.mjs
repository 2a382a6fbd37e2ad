// Jest runs in native ESM mode (NestJS 12 is ESM-only): `node --experimental-vm-modules node_modules/jest/bin/jest.js`.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const shared = {
  rootDir: '.',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^#contracts$': '<rootDir>/libs/contracts/src/index.ts',
    '^#domain$': '<rootDir>/libs/domain/src/index.ts',
    '^#platform$': '<rootDir>/libs/platform/src/index.ts',
    '^#authority$': '<rootDir>/libs/authority/src/index.ts',
    '^#testing$': '<rootDir>/libs/testing/src/index.ts',
    '^#datagen$': '<rootDir>/libs/datagen/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

export default {
  // A global option (projects cannot set it): end-to-end hooks start brokers and apps.
  testTimeout: 180_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/consistency/**/*.spec.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'] },
    { ...shared, displayName: 'smoke', testMatch: ['<rootDir>/test/smoke/**/*.smoke-spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    // The fault suite at CI size (npm run test:faults runs it at full size and prints the table).
    { ...shared, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.faults-spec.ts'] },
  ],
};
