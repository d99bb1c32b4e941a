// Tests are compiled by tsc (npm run build) and run as native ES modules:
// bpmn-moddle and feelin ship only ESM, so no transform step is used.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/build/test'],
  testMatch: ['**/*.test.js'],
  transform: {},
  globalSetup: '<rootDir>/build/test/support/global-setup.js',
  globalTeardown: '<rootDir>/build/test/support/global-teardown.js',
  testTimeout: 60000,
};
