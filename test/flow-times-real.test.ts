import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';

/**
 * Flow times as real exports give them:
 *
 * - Hubble's `GetFlowsResponse` (`hubble observe -o json`) and the exporter's `ExportEvent` (flow log files) are
 *   `{"flow": {...}, "node_name", "time"}` (cilium api/v1/observer/observer.proto): the wrapper's `time` is when the
 *   event was observed, read when the flow carries none of its own; the exporter also writes `agent_event` and
 *   `debug_event` events, which hold no traffic;
 * - a VPC flow log's `start` is Unix seconds (Amazon VPC user guide, "Flow log records"): a value that is no such
 *   time (milliseconds, a negative or hexadecimal number, one past the year 9999) is never placed at a wrong instant,
 *   never ends the file's reading, and never drops the record: it is kept, its time unknown, with a notice naming the
 *   file and the line, as a Hubble flow's unreadable time is.
 */

const everyone = () => new Scope({ ...defaultScope(), includeSystem: true });

async function read(path: string) {
  return ingest({ k8sAudit: [], flows: [path], scope: everyone(), workers: 1, cwd: ROOT });
}

const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

const FLOW = {
  verdict: 'FORWARDED',
  IP: { source: '10.0.1.5', destination: '10.0.2.7', ipVersion: 'IPv4' },
  l4: { TCP: { source_port: 40000, destination_port: 5432, flags: { SYN: true } } },
  source: { namespace: 'shop', pod_name: 'web-6b746f74dc-9rcxx', labels: ['k8s:app=web'] },
  destination: { namespace: 'shop', pod_name: 'db-0', labels: ['k8s:app=db'] },
  Type: 'L3_L4',
  is_reply: false,
  traffic_direction: 'EGRESS',
};

function write(lines: unknown[]): string {
  const path = join(tmp(), 'flows.json');
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
}

describe('Hubble flows in their GetFlowsResponse / ExportEvent wrapper', () => {
  const T = '2026-11-02T08:00:00.123456789Z';

  it('a flow without a time of its own takes the wrapper’s, as the same flow with that time gives', async () => {
    const plain = await read(write([{ ...FLOW, time: T }]));
    const wrapped = await read(write([{ flow: FLOW, node_name: 'kind/worker', time: T }]));
    expect(wrapped.notices).toEqual([]);
    expect(wrapped.profile.window).toEqual({
      start: '2026-11-02T08:00:00.123456Z',
      end: '2026-11-02T08:00:00.123456Z',
    });
    expect(withoutSources(wrapped.profile)).toBe(withoutSources(plain.profile));
  });

  it('the flow’s own time wins over the wrapper’s', async () => {
    const r = await read(write([{ flow: { ...FLOW, time: T }, node_name: 'n', time: '2026-11-05T00:00:00Z' }]));
    expect(r.profile.window.start).toBe('2026-11-02T08:00:00.123456Z');
  });

  it('a wrapper time that is no time is a notice at file:line, the flow kept', async () => {
    const path = write(['', { flow: FLOW, node_name: 'n', time: '2026-11-02T25:00:00Z' }]);
    const r = await read(path);
    expect(r.notices.map((n) => [n.code, n.line])).toEqual([['flow.bad-time', 2]]);
    expect(r.profile.window).toEqual({ start: '', end: '' });
    expect(r.counts.network).toBe(1);
  });

  it('the exporter’s agent and debug events hold no traffic: no flow, no issue', async () => {
    const r = await read(
      write([
        { flow: { ...FLOW, time: T }, node_name: 'n', time: T },
        {
          agent_event: { type: 'ENDPOINT_REGENERATE_SUCCESS', endpoint_regenerate: { id: 1 } },
          node_name: 'n',
          time: T,
        },
        { debug_event: { type: 'DBG_CT_VERDICT', source: { ID: 1 } }, node_name: 'n', time: T },
      ]),
    );
    expect(r.issues).toEqual([]);
    expect(r.counts.network).toBe(1);
  });
});

describe('VPC flow log start times', () => {
  const HEADER =
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
  const rec = (dst: string, start: string) =>
    `2 111122223333 eni-0a1b2c3d 10.0.1.5 ${dst} 40000 5432 6 10 840 ${start} 1793606460 ACCEPT OK`;

  it('Unix seconds: the same instant a Hubble flow’s RFC 3339 time names', async () => {
    const r = await read(write([HEADER, rec('10.0.2.7', '1793606400')]));
    expect(r.profile.window).toEqual({ start: '2026-11-02T08:00:00.000000Z', end: '2026-11-02T08:00:00.000000Z' });
  });

  it.each([
    ['milliseconds', '1793606400000'],
    ['past the year 9999', '99999999999999'],
    ['negative', '-5'],
    ['hexadecimal', '0x6ADF2000'],
    ['a fraction', '1793606400.5e3'],
    ['a dash', '-'],
  ])('%s (%s): kept, time unknown, a notice at file:line; the other records read', async (_what, start) => {
    const path = write([HEADER, rec('10.0.2.7', '1793606400'), rec('10.0.2.8', start), rec('10.0.2.9', '1793606401')]);
    const r = await read(path);
    expect(r.issues).toEqual([]);
    expect(r.notices.map((n) => [n.code, n.file, n.line])).toEqual([['flow.bad-time', path, 3]]);
    expect(r.notices[0]!.message).toContain(JSON.stringify(start));
    expect(r.profile.window).toEqual({ start: '2026-11-02T08:00:00.000000Z', end: '2026-11-02T08:00:01.000000Z' });
    expect(r.counts.network).toBe(3);
  });
});
