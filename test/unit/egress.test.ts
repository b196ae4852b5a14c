/**
 * The egress policy (src/activities/egress.ts): which destinations the HTTP and notify actions
 * may reach, decided on every address a host resolves to, and its configuration section.
 * The actions themselves (no request made, redirects checked hop by hop) are in activities.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createEgressGuard, type ResolveHost } from '../../src/activities/egress';
import { inRange, parseIp, parseRange } from '../../src/activities/ip-range';
import { ConfigError, loadConfig, type EgressConfig } from '../../src/config/load';

/** A resolver for made-up names; any other name is a test mistake. */
const names: Record<string, string[]> = {
  'api.example.test': ['10.1.2.3'],
  'metadata.google.internal': ['169.254.169.254'],
  'prometheus.example.test': ['203.0.113.10'],
  'a.hooks.example.test': ['203.0.113.11'],
  'hooks.example.test': ['203.0.113.12'],
  'metadata.example.test': ['169.254.169.254'],
  'mixed.example.test': ['10.1.2.3', '169.254.169.254'],
  'v6-metadata.example.test': ['fd00:ec2::254'],
  'mapped.example.test': ['::ffff:169.254.169.254'],
  'wide.example.test': ['10.1.2.3', '192.168.0.7'],
};
const lookups: string[] = [];
const resolve: ResolveHost = async (host) => {
  lookups.push(host);
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

async function refusal(policy: EgressConfig, url: string): Promise<ApplicationFailure | undefined> {
  const err = await createEgressGuard({ policy, resolve })
    .check(url)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  if (err === undefined) return undefined;
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const open: EgressConfig = { allowLinkLocal: false };

describe('without egress.allow: anywhere but link-local and metadata destinations', () => {
  test.each([
    'http://127.0.0.1:8080/v1/dev/inbox/default',
    'http://localhost:9090/api/v1/query',
    'http://[::1]:8080/',
    'https://api.example.test/health',
    'http://10.0.0.5:9090/',
  ])('%s is allowed (loopback and private networks are where runbooks work)', async (url) => {
    const guard = createEgressGuard({
      policy: open,
      resolve: async (h) => (h === 'localhost' ? ['127.0.0.1', '::1'] : resolve(h)),
    });
    await expect(guard.check(url)).resolves.toBeUndefined();
  });

  test.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
    ['http://169.254.170.2/v2/credentials', '169.254.170.2 is a link-local address'],
    // The URL parser reads other spellings of an IPv4 address as the address itself.
    ['http://0xa9fea9fe/', '169.254.169.254 is a link-local address'],
    ['http://2852039166/', '169.254.169.254 is a link-local address'],
    ['http://[::ffff:169.254.169.254]/', 'link-local address'],
    ['http://[64:ff9b::a9fe:a9fe]/', 'link-local address'],
    ['http://[fe80::1]/', 'an IPv6 link-local address'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'the AWS instance metadata service (IPv6)'],
    ['http://100.100.100.200/latest/meta-data/', 'the Alibaba Cloud metadata service'],
  ])('%s is refused, naming why', async (url, why) => {
    const f = await refusal(open, url);
    expect(f).toMatchObject({ type: 'EgressRefused', nonRetryable: true });
    expect(f?.message).toContain(why);
    expect(f?.message).toMatch(/^egress to http:\/\/\S+ refused: .*; no request was made$/);
  });

  test('a name is refused for what it resolves to, any of its addresses', async () => {
    expect((await refusal(open, 'http://metadata.example.test/latest/'))?.message).toBe(
      'egress to http://metadata.example.test:80 refused: metadata.example.test resolves to 169.254.169.254, ' +
        'a link-local address (cloud metadata services answer on 169.254.169.254) (allow it with ' +
        'egress.allowLinkLocal or by listing it in egress.allow); no request was made',
    );
    // One safe address does not carry a metadata one with it (fetch might connect to either).
    expect((await refusal(open, 'http://mixed.example.test/'))?.message).toContain('resolves to 169.254.169.254');
    expect((await refusal(open, 'http://v6-metadata.example.test/'))?.message).toContain('AWS instance metadata');
    expect((await refusal(open, 'http://mapped.example.test/'))?.message).toContain('resolves to 169.254.169.254');
  });

  test('metadata.google.internal is refused by its name, before it is resolved', async () => {
    lookups.length = 0;
    for (const url of ['http://metadata.google.internal/computeMetadata/v1/', 'http://METADATA.google.internal./']) {
      expect((await refusal(open, url))?.message).toContain('metadata.google.internal is a cloud metadata service');
    }
    expect(lookups).toEqual([]);
  });

  test('only http and https are destinations', async () => {
    expect((await refusal(open, 'file:///etc/passwd'))?.message).toContain('only http and https');
  });

  test('a name that does not resolve throws the resolver error (retried, like fetch would)', async () => {
    const err = await createEgressGuard({ policy: open, resolve })
      .check('http://nowhere.example.test/')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENOTFOUND' });
    expect(err).not.toBeInstanceOf(ApplicationFailure);
  });
});

describe('opening link-local and metadata destinations takes naming them', () => {
  test('allowLinkLocal opens them all', async () => {
    const policy = { allowLinkLocal: true };
    expect(await refusal(policy, 'http://169.254.169.254/')).toBeUndefined();
    expect(await refusal(policy, 'http://metadata.google.internal/')).toBeUndefined();
    expect(await refusal(policy, 'http://[fe80::1]/')).toBeUndefined();
  });

  test('an exact origin or a range inside the refused one opens that destination only', async () => {
    const policy = {
      allow: ['http://metadata.google.internal', '169.254.170.2/32', 'http://127.0.0.1:8080'],
      allowLinkLocal: false,
    };
    expect(await refusal(policy, 'http://169.254.170.2/v2/credentials')).toBeUndefined();
    expect((await refusal(policy, 'http://169.254.169.254/'))?.message).toContain('link-local');
    const gcp = createEgressGuard({ policy, resolve: async () => ['169.254.169.254'] });
    await expect(gcp.check('http://metadata.google.internal/computeMetadata/v1/')).resolves.toBeUndefined();
  });

  test('a wide range or a wildcard does not open them', async () => {
    const policy = { allow: ['0.0.0.0/0', '::/0', 'http://*.example.test'], allowLinkLocal: false };
    expect(await refusal(policy, 'http://10.9.9.9/')).toBeUndefined();
    expect((await refusal(policy, 'http://169.254.169.254/'))?.type).toBe('EgressRefused');
    expect((await refusal(policy, 'http://[fe80::1]/'))?.type).toBe('EgressRefused');
    expect((await refusal(policy, 'http://metadata.example.test/'))?.type).toBe('EgressRefused');
  });
});

describe('with egress.allow: only what it lists', () => {
  const policy: EgressConfig = {
    allow: ['https://prometheus.example.test', 'https://*.hooks.example.test', 'http://127.0.0.1:8080', '10.1.0.0/16'],
    allowLinkLocal: false,
  };

  test.each([
    'https://prometheus.example.test/api/v1/query',
    'https://a.hooks.example.test/x',
    'http://127.0.0.1:8080/v1/dev/inbox/default',
    'http://10.1.200.3:9100/metrics',
    'https://api.example.test/health', // resolves into 10.1.0.0/16
  ])('%s is allowed', async (url) => {
    expect(await refusal(policy, url)).toBeUndefined();
  });

  test.each([
    ['http://prometheus.example.test/', 'another scheme is another origin'],
    ['https://prometheus.example.test:8443/', 'another port'],
    ['https://hooks.example.test/', 'a wildcard covers subdomains only'],
    ['http://127.0.0.1:9090/', 'loopback is not special once allow is given'],
    ['https://wide.example.test/', 'every address must be in a listed range'],
  ])('%s is refused (%s)', async (url) => {
    const f = await refusal(policy, url);
    expect(f).toMatchObject({ type: 'EgressRefused', nonRetryable: true });
    expect(f?.message).toContain('not in egress.allow (https://prometheus.example.test, ');
  });
});

describe('the connection goes where the check looked (DNS rebinding)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('pinned'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('a checked name connects to the addresses its check resolved, without asking DNS again', async () => {
    // The system resolver has never heard of this name: only the check's answer can connect it.
    let answer = ['127.0.0.1'];
    const guard = createEgressGuard({ policy: open, resolve: async () => answer });
    const url = `http://rebind.example.test:${port}/`;
    await guard.check(url);
    // The name now answers the metadata service: the connection still goes where the check looked.
    answer = ['169.254.169.254'];
    const res = await fetch(url, { dispatcher: guard.dispatcher } as RequestInit);
    expect(await res.text()).toBe('pinned');
    await expect(guard.check(url)).rejects.toThrow(/resolves to 169\.254\.169\.254/);
  });

  test('a name the check never saw is not connected at all', async () => {
    const guard = createEgressGuard({ policy: open, resolve });
    const err = await fetch(`http://never-checked.example.test:${port}/`, {
      dispatcher: guard.dispatcher,
    } as RequestInit).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: Error },
    );
    expect(err?.cause?.message).toMatch(/was not checked by the egress policy/);
  });
});

describe('addresses and ranges', () => {
  test('parse IPv4, IPv6 and their embedded forms', () => {
    expect(parseIp('[::ffff:10.0.0.1]')).toMatchObject({ family: 4, text: '10.0.0.1' });
    expect(parseIp('::ffff:a00:1')).toMatchObject({ family: 4, text: '10.0.0.1' });
    expect(parseIp('fe80::1%eth0')).toMatchObject({ family: 6 });
    expect(parseIp('metadata.google.internal')).toBeUndefined();
    expect(parseRange('10.0.0.0/33')).toBeUndefined();
    expect(parseRange('fd00::/129')).toBeUndefined();
    expect(parseRange('example.test/8')).toBeUndefined();
  });

  test.each([
    ['10.0.0.0/8', '10.255.1.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['192.168.1.7', '192.168.1.7', true],
    ['192.168.1.7', '192.168.1.8', false],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['fd00:ec2::254', 'fd00:ec2:0:0:0:0:0:254', true],
    ['10.0.0.0/8', '::ffff:10.1.1.1', true],
    ['::/0', '10.1.1.1', false],
  ])('%s holds %s: %s', (range, address, holds) => {
    expect(inRange(parseRange(range)!, parseIp(address)!)).toBe(holds);
  });
});

describe('configuration: egress', () => {
  const dir = mkdtempSync(join(tmpdir(), 'egress-cfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (yaml: string) => {
    const path = join(dir, 'c.yaml');
    writeFileSync(path, yaml);
    return loadConfig({ RUNBOOKS_CONFIG: path }, dir, { tokens: false });
  };

  test('defaults: no allow list, link-local refused', () => {
    expect(load('runbooksDir: runbooks\n').egress).toEqual({ allowLinkLocal: false });
  });

  test('origins, wildcards, ranges and addresses are taken', () => {
    const c = load(
      [
        'egress:',
        '  allow:',
        '    - https://prometheus.example.com/',
        '    - "https://*.hooks.example.com"',
        '    - http://[fd00::5]:8080',
        '    - 10.0.0.0/8',
        '    - fd00::/8',
        '    - 192.168.1.7',
        '  allowLinkLocal: true',
        '',
      ].join('\n'),
    );
    expect(c.egress).toEqual({
      allow: [
        'https://prometheus.example.com',
        'https://*.hooks.example.com',
        'http://[fd00::5]:8080',
        '10.0.0.0/8',
        'fd00::/8',
        '192.168.1.7',
      ],
      allowLinkLocal: true,
    });
  });

  test('a destination that is neither an origin nor a range is refused at its line', () => {
    const run = () => load('egress:\n  allow:\n    - https://ok.example.com\n    - https://example.com/path\n');
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/c\.yaml:4:\d+: egress\.allow\[1\]: an origin .* or an IP range/);
    expect(() => load('egress:\n  allow: [10.0.0.0/40]\n')).toThrow(/egress\.allow\[0\]/);
    expect(() => load('egress:\n  allow: []\n')).toThrow(/leave allow out to allow any/);
    expect(() => load('egress:\n  deny: [10.0.0.0/8]\n')).toThrow(/egress/);
  });
});
