import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { JsonLineDecoder } from '../src/ingest/jsonLines.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';

/**
 * Several pretty-printed JSON documents in one file, one after another: jq's default output (`jq 'select(...)'
 * audit.log`, `jq '.Records[]'`), pages of `aws logs filter-log-events` or `gcloud logging read --format=json`
 * appended to one file (`>> f`). Each document is read; a broken one is its issue alone.
 */

const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });
const read = (path: string) => ingest({ k8sAudit: [path], scope: everyone(), workers: 1, cwd: ROOT });
const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

const NATIVE = join(ROOT, 'fixtures/envelopes/native/events.jsonl');
const EVENTS = readFileSync(NATIVE, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>);

/** `aws logs filter-log-events` output, as the AWS CLI prints it (4 spaces). */
const page = (events: Record<string, unknown>[], i: number) =>
  JSON.stringify(
    {
      events: events.map((e, j) => ({
        logStreamName: 'kube-apiserver-audit-0123456789abcdef0123456789abcdef',
        timestamp: Date.parse(String(e['requestReceivedTimestamp'])),
        message: JSON.stringify(e),
        ingestionTime: Date.parse(String(e['requestReceivedTimestamp'])) + 2000,
        eventId: `3800000000000000000000000000000000000000000000000000000${i}${j}`,
      })),
      searchedLogStreams: [],
      nextToken: `token-${i}`,
    },
    null,
    4,
  );

/** Values and issues a decoder gives for a file's lines. */
function decoded(text: string) {
  const values: [unknown, number][] = [];
  const issues: [number, string][] = [];
  const d = new JsonLineDecoder(
    'f',
    (v, n) => values.push([v, n]),
    (i) => issues.push([i.line, i.code]),
  );
  text.split('\n').forEach((l, i) => d.line(l, i + 1));
  d.end();
  return { values, issues };
}

describe('pretty-printed documents one after another', () => {
  it('jq’s output (`jq . audit.log`): every Event, the same profile as the log', async () => {
    const path = join(tmp(), 'jq.json');
    writeFileSync(path, EVENTS.map((e) => JSON.stringify(e, null, 2)).join('\n') + '\n');
    const r = await read(path);
    expect(r.issues).toEqual([]);
    expect(r.profile.sources[0]!.records).toBe(EVENTS.length);
    expect(withoutSources(r.profile)).toBe(withoutSources((await read(NATIVE)).profile));
  });

  it('pages appended to a file (filter-log-events >> f, gcloud logging read --format=json >> f)', async () => {
    const dir = tmp();
    const half = Math.ceil(EVENTS.length / 2);
    const pages = join(dir, 'pages.json');
    writeFileSync(pages, page(EVENTS.slice(0, half), 1) + '\n' + page(EVENTS.slice(half), 2) + '\n');
    const arrays = join(dir, 'arrays.json');
    const arr = (xs: unknown[]) => JSON.stringify(xs, null, 2);
    // A blank line between them, and CRLF line ends, change nothing.
    writeFileSync(
      arrays,
      (arr(EVENTS.slice(0, half)) + '\n\n' + arr(EVENTS.slice(half)) + '\n').replace(/\n/g, '\r\n'),
    );
    const native = withoutSources((await read(NATIVE)).profile);
    for (const path of [pages, arrays]) {
      const r = await read(path);
      expect(r.issues).toEqual([]);
      expect(r.profile.sources[0]!.records).toBe(EVENTS.length);
      expect(withoutSources(r.profile)).toBe(native);
    }
  });

  it('each document at the line it starts on; a broken one is one issue, the next ones read', () => {
    const docs = [{ a: 1 }, { b: [1, { c: 2 }] }, { d: 4 }].map((x) => JSON.stringify(x, null, 2));
    const broken = docs[1]!.replace('"c": 2', '"c": 2,');
    const text = [docs[0], broken, docs[2], '[', '  1', ']'].join('\n');
    const { values, issues } = decoded(text);
    const line2 = docs[0]!.split('\n').length + 1;
    const line3 = line2 + broken.split('\n').length;
    expect(values).toEqual([
      [{ a: 1 }, 1],
      [{ d: 4 }, line3],
      [[1], line3 + 3],
    ]);
    // At the line JSON.parse stopped on: the `}` after the stray comma.
    expect(issues).toEqual([[line2 + 5, 'json.malformed']]);
  });

  it('one document stays one, whatever its indent (none: every line at the first column)', () => {
    const doc = { items: [{ a: 1 }, { b: { c: [] } }], z: null };
    const none = JSON.stringify(doc, null, 2).replace(/^ +/gm, '');
    for (const text of [none, JSON.stringify(doc, null, 2), JSON.stringify(doc, null, '\t')]) {
      expect(decoded(text)).toEqual({ values: [[doc, 1]], issues: [] });
    }
  });
});
