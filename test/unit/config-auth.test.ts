import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate, hasRole } from '../../src/api/auth';
import { ConfigError, loadConfig, runUrl, sha256 } from '../../src/config/load';

const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

test('defaults: embedded server, dev config, local ports', () => {
  const c = loadConfig({}, process.cwd());
  expect(c.temporalAddress).toBeUndefined();
  expect(c).toMatchObject({
    namespace: 'default',
    taskQueue: 'runbooks',
    api: { host: '127.0.0.1', port: 8080 },
    uiUrl: 'http://localhost:8233',
  });
  expect(c.tokens.map((t) => t.identity)).toEqual(['alice', 'bob', 'admin', 'viewer', 'alertmanager']);
  expect(runUrl(c, 'a b')).toBe('http://localhost:8233/namespaces/default/workflows/a%20b');
});

test('environment wins over the file; token sources resolved', () => {
  const tokenFile = file('tok', 'from-a-file-123\n');
  const path = file(
    'c.yaml',
    `temporal: { address: "t:7233", namespace: ns }
api: { port: 9000 }
auth:
  tokens:
    - { identity: a, roles: [operator], tokenEnv: TOKEN_A }
    - { identity: b, roles: [approver], tokenFile: ${tokenFile} }
    - { identity: c, roles: [viewer], tokenSha256: ${sha256('hashed-token-1').toString('hex')} }
`,
  );
  const c = loadConfig(
    { RUNBOOKS_CONFIG: path, TOKEN_A: 'env-token-abc', TEMPORAL_NAMESPACE: 'prod', RUNBOOKS_API_PORT: '9100' },
    process.cwd(),
  );
  expect(c).toMatchObject({ temporalAddress: 't:7233', namespace: 'prod', api: { port: 9100 } });
  expect(authenticate(c.tokens, 'Bearer env-token-abc')).toEqual({ identity: 'a', roles: ['operator'] });
  expect(authenticate(c.tokens, 'Bearer from-a-file-123')).toEqual({ identity: 'b', roles: ['approver'] });
  expect(authenticate(c.tokens, 'bearer hashed-token-1')).toEqual({ identity: 'c', roles: ['viewer'] });
  expect(authenticate(c.tokens, 'Bearer wrong')).toBeUndefined();
  expect(authenticate(c.tokens, 'Basic abc')).toBeUndefined();
  expect(authenticate(c.tokens, undefined)).toBeUndefined();
});

test('an invalid file is rejected with path, line and field', () => {
  const path = file(
    'bad.yaml',
    'api:\n  port: "eighty"\nauth:\n  tokens:\n    - { identity: x, roles: [root], token: abcdefghij }\n',
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: path }, process.cwd())).toThrow(ConfigError);
  try {
    loadConfig({ RUNBOOKS_CONFIG: path }, process.cwd());
  } catch (err) {
    expect((err as Error).message).toContain(`${path}:2:9: api.port:`);
    expect((err as Error).message).toContain(`${path}:5:30: auth.tokens[0].roles[0]:`);
  }
  expect(() => loadConfig({ RUNBOOKS_API_PORT: 'http' }, process.cwd())).toThrow(
    'RUNBOOKS_API_PORT must be a port number',
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: join(dir, 'missing.yaml') }, process.cwd())).toThrow(
    'RUNBOOKS_CONFIG: no file',
  );
  const noEnv = file(
    'noenv.yaml',
    'auth:\n  tokens:\n    - { identity: x, roles: [viewer], tokenEnv: NOT_SET_ANYWHERE }\n',
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: noEnv }, process.cwd())).toThrow(
    'token for x: env NOT_SET_ANYWHERE is empty or missing',
  );
});

test('roles: admin can do all; operator and approver only their own', () => {
  const p = (roles: Array<'viewer' | 'operator' | 'approver' | 'admin'>) => ({ identity: 'x', roles });
  expect(hasRole(p(['admin']), 'approver')).toBe(true);
  expect(hasRole(p(['operator']), 'viewer')).toBe(true);
  expect(hasRole(p(['operator']), 'approver')).toBe(false);
  expect(hasRole(p(['approver']), 'operator')).toBe(false);
  expect(hasRole(p(['viewer']), 'operator')).toBe(false);
  expect(hasRole(p(['operator', 'approver']), 'approver')).toBe(true);
});

test('alert routes: bad regexes and templates are rejected at load with the line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-routes-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    [
      'alerts:',
      '  routes:',
      '    - id: bad',
      '      match: { labelsRegex: { service: "(" } }',
      '      runbook: x',
      '      params: { service: "${{ params.service }}" }',
      '      owner: bot',
      '',
    ].join('\n'),
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: file }, dir)).toThrow(
    /c\.yaml:4:\d+: alerts\.routes\[0\]\.match\.labelsRegex\.service: invalid regular expression/,
  );
  writeFileSync(
    file,
    'alerts:\n  routes:\n    - { id: bad, runbook: x, params: { service: "${{ params.service }}" }, owner: bot }\n',
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: file }, dir)).toThrow(
    /alerts\.routes\[0\]\.params\.service: only alert\.\* is known when routing, not 'params'/,
  );
  writeFileSync(file, 'alerts:\n  generic: { secretEnv: NO_SUCH_ENV }\n');
  expect(() => loadConfig({ RUNBOOKS_CONFIG: file }, dir)).toThrow(
    /alerts\.generic: env NO_SUCH_ENV is empty or missing/,
  );
});

test('a devInbox target without the inbox mounted is refused at load, with its line', () => {
  const path = file('inbox.yaml', 'api: { port: 8080 }\nnotify:\n  webhooks:\n    oncall: { devInbox: true }\n');
  expect(() => loadConfig({ RUNBOOKS_CONFIG: path }, process.cwd())).toThrow(
    `${path}:4:25: notify.webhooks.oncall.devInbox: a devInbox target needs api.devInbox: true (the inbox it posts to)`,
  );
  const ok = file('inbox-ok.yaml', 'api: { devInbox: true }\nnotify:\n  webhooks:\n    oncall: { devInbox: true }\n');
  expect(loadConfig({ RUNBOOKS_CONFIG: ok }, process.cwd(), { tokens: false }).webhookTargets.oncall?.url).toMatch(
    /\/v1\/dev\/inbox\/oncall$/,
  );
});
