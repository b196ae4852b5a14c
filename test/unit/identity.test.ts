/** One canonical identity: the same person however cased, look-alikes and hidden characters refused. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load';
import { checkIdentity, sameIdentity } from '../../src/shared/identity';

test.each([
  ['alice', 'alice'],
  ['Alice', 'alice'],
  ['  bob@example.com ', 'bob@example.com'],
  ['ｂｏｂ', 'bob'], // fullwidth letters fold to ASCII under NFKC: the same person, not a look-alike
  ['first.last+ops', 'first.last+ops'],
])('%j is %j', (raw, canonical) => {
  expect(checkIdentity(raw)).toEqual({ identity: canonical });
});

test.each([
  ['alice\u200b', /invisible character/],
  ['al\u2060ice', /invisible character/],
  ['\u202ealice', /invisible character/],
  ['\u0430lice', /non-ASCII letter/], // Cyrillic а
  ['bob ross', /not an identity/],
  ['', /required/],
  ['x'.repeat(300), /at most 128/],
])('%j is refused', (raw, why) => {
  const r = checkIdentity(raw);
  expect(r).toEqual({ error: expect.stringMatching(why) });
});

test('sameIdentity compares canonical forms, and a refused identity is nobody', () => {
  expect(sameIdentity('Alice', 'alice')).toBe(true);
  expect(sameIdentity('alice\u200b', 'alice')).toBe(false);
  expect(sameIdentity('\u0430lice', 'alice')).toBe(false);
});

test('configuration canonicalizes token identities and group members, and names a refused one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'identity-'));
  const ok = join(dir, 'ok.yaml');
  writeFileSync(
    ok,
    'auth:\n  tokens:\n    - { identity: Alice, token: token-one-1, roles: [operator] }\napproverGroups:\n  sre: [Bob, carol]\n',
  );
  const c = loadConfig({ RUNBOOKS_CONFIG: ok }, dir);
  expect(c.tokens.map((t) => t.identity)).toEqual(['alice']);
  expect(c.approverGroups).toEqual({ sre: ['bob', 'carol'] });
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'approverGroups:\n  sre: [bob, "\u0430lice"]\n');
  expect(() => loadConfig({ RUNBOOKS_CONFIG: bad }, dir)).toThrow(ConfigError);
  expect(() => loadConfig({ RUNBOOKS_CONFIG: bad }, dir)).toThrow(/approverGroups\.sre\[1\]: .*non-ASCII letter/);
});
