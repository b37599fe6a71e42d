import { describe, expect, it } from 'vitest';
import { FlowDecoder } from '../src/ingest/flows/decode.js';
import { emptyInventory, Resolver } from '../src/inventory/inventory.js';
import type { InputIssue } from '../src/model/issue.js';
import type { FlowObservation } from '../src/model/network.js';

// A Hubble flow's time is evidence, not authorization, as an audit or CloudTrail record's is: a flow whose time is
// missing or unreadable is kept, its time unknown, with a notice. It was dropped as the issue flow.bad-time, so a
// pipeline that rewrote the time (a log shipper's own format) lost every connection: breakage in production.

function decode(time: unknown) {
  const out: unknown[] = [];
  const d = new FlowDecoder('f.json', new Resolver(emptyInventory()), (x) => out.push(x));
  const flow = {
    ...(time === undefined ? {} : { time }),
    verdict: 'FORWARDED',
    IP: { source: '10.0.1.5', destination: '10.0.2.7' },
    l4: { TCP: { source_port: 40000, destination_port: 5432, flags: { SYN: true } } },
    source: { namespace: 'shop', pod_name: 'web-6b746f74dc-9rcxx', labels: ['k8s:app=web'] },
    destination: { namespace: 'shop', pod_name: 'db-0', labels: ['k8s:app=db'] },
    Type: 'L3_L4',
    is_reply: false,
  };
  d.json(flow, 1);
  const flows = out.filter((x): x is FlowObservation => (x as { kind?: string }).kind === 'flow');
  const issues = out.filter((x): x is InputIssue => (x as { kind?: string }).kind === 'issue');
  return { flows, issues: issues.map((i) => [i.code, i.level ?? 'error']) };
}

describe('Hubble flow times', () => {
  it.each([
    ['RFC 3339 with nanoseconds', '2026-11-02T08:00:00.123456789Z', '2026-11-02T08:00:00.123456Z', []],
    [
      'another form (no zone): read, with a notice',
      '2026-11-02 08:00:00',
      '2026-11-02T08:00:00.000000Z',
      [['flow.time-form', 'notice']],
    ],
    ['not a time: kept, time unknown, a notice', 'yesterday', '', [['flow.bad-time', 'notice']]],
    ['a number: kept, time unknown, a notice', 1762161302, '', [['flow.bad-time', 'notice']]],
    ['none: kept, time unknown, a notice', undefined, '', [['flow.no-time', 'notice']]],
  ])('%s', (_name, time, want, issues) => {
    const r = decode(time);
    expect(r.flows).toHaveLength(1);
    expect(r.flows[0]!.time).toBe(want);
    expect(r.issues).toEqual(issues);
  });
});
