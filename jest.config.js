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
  // Fastify's inject pulls in `cookie`, which ships ESM only; compile it to CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The Kubernetes tier needs a control plane: npm run test:k8s (jest.k8s.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/k8s/'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
