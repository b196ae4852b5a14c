/** Unit tests need no service; the others share one Temporal dev server started in globalSetup. */
const transform = {
  '^.+\\.(t|j)s$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
module.exports = {
  testEnvironment: 'node',
  transform,
  // `cookie` (Fastify's inject) and @actions/expressions (the expression tests' reference) ship ESM
  // only: compile them to CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(cookie|@actions/expressions)/)'],
  // @actions/expressions exports only an `import` condition, which jest's CommonJS resolver does not match.
  moduleNameMapper: { '^@actions/expressions$': '<rootDir>/node_modules/@actions/expressions/dist/index.js' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The Kubernetes tier needs a control plane: npm run test:k8s (jest.k8s.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/k8s/'],
  // The suite's end checks (test/suite-end) run last and wait for every other file's mark.
  testSequencer: '<rootDir>/test/support/sequencer.js',
  setupFilesAfterEnv: ['<rootDir>/test/support/suite-marks.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
