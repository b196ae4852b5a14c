/**
 * The Kubernetes tier (`npm run test:k8s`): tests against a real control plane (kube-apiserver,
 * kube-controller-manager, kube-scheduler, etcd) with kwok's fake nodes, built and started once
 * in globalSetup by scripts/k8s/. See docs/kubernetes-testing.md.
 */
const transform = {
  '^.+\\.(t|j)s$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
module.exports = {
  testEnvironment: 'node',
  transform,
  // @kubernetes/client-node 1.x ships ESM only, as does its OIDC chain (openid-client, oauth4webapi,
  // jose); compile them to CommonJS for jest, as the main config does for `cookie`.
  transformIgnorePatterns: ['/node_modules/(?!(cookie|@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
  testMatch: ['<rootDir>/test/k8s/**/*.test.ts'],
  globalSetup: '<rootDir>/test/k8s/global-setup.ts',
  globalTeardown: '<rootDir>/test/k8s/global-teardown.ts',
  // A cold control-plane build happens in globalSetup (no jest timeout there); tests wait on
  // real controllers, which take seconds, so allow minutes.
  testTimeout: 180_000,
  // One cluster on two cores: files share it, each in its own namespace.
  maxWorkers: 1,
};
