/**
 * The unit tier (`npm run test:unit`): no build, no server, seconds. The same files also run in
 * the full `npm test`; this config only leaves out the global setup that builds dist/ and starts
 * Temporal.
 */
const base = require('./jest.config.js');

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  moduleNameMapper: base.moduleNameMapper,
  testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
};
