/**
 * One action, one name, one registration: every catalog entry has exactly one activity, named
 * by its id, and every action activity has its entry; ids are `system:entity:verb` in their
 * system's list; renamed actions still answer to their former ids and activity types.
 */
import { CATALOG, CATALOG_SYSTEMS, catalogEntry, FORMER_IDS } from '../../src/catalog';
import { createActionActivities, createActivities, type ActivityDeps } from '../../src/activities';
import { createSecretResolver } from '../../src/activities/secrets';
import { libraryOf } from '../support/runbook-worker';

const deps: ActivityDeps = {
  fetch: globalThis.fetch,
  secrets: createSecretResolver({ env: {} }),
  webhookTargets: {},
  runUrl: (id) => id,
  library: () => libraryOf(),
  metrics: { observeStep: () => undefined },
  // Never called: no activity runs here.
  kube: () => Promise.reject(new Error('no cluster in this test')),
};

test('every entry has exactly one activity, named by its id, and the reverse', () => {
  expect(Object.keys(createActionActivities(deps)).sort()).toEqual([...CATALOG.keys()].sort());
});

test('ids are system:entity:verb and sit in their system', () => {
  for (const [system, entries] of Object.entries(CATALOG_SYSTEMS)) {
    for (const e of entries)
      expect({ id: e.id, ok: new RegExp(`^${system}:[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$`).test(e.id) }).toEqual({
        id: e.id,
        ok: true,
      });
  }
  expect(CATALOG.size).toBe(Object.values(CATALOG_SYSTEMS).flat().length);
});

test('renamed actions answer to their former ids and activity types', () => {
  for (const [old, entry] of FORMER_IDS) {
    expect(CATALOG.has(old)).toBe(false);
    expect(catalogEntry(old)).toBe(entry);
  }
  const all = createActivities(deps) as Record<string, unknown>;
  const actions = createActionActivities(deps) as Record<string, unknown>;
  for (const e of CATALOG.values()) {
    if (e.formerly?.activity) expect(typeof all[e.formerly.activity]).toBe('function');
    expect(Object.keys(actions)).toContain(e.id);
  }
  expect(catalogEntry('k8s:pods:list')?.id).toBe('k8s:pod:list');
  expect(catalogEntry('http:request')?.id).toBe('http:request:send');
});
