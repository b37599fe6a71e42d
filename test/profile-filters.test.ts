// A profile records the subject and namespace filters it was made with, so that `merge` can tell parts that saw
// different things: a namespace one part left out holds only what the others saw of it, and its policy would deny
// what it did. Merge (and generate, verify, report of the merged file) says so even with --quiet; the header holds
// each distinct filter set once, whatever the order of the inputs. Unfiltered profiles carry no field: their bytes
// are those of earlier versions.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { describeFilters, profileFilters, unionFilters } from '../src/profile/filters.js';
import { defaultScope } from '../src/profile/scope.js';

const DAY = (d: string) => join(ROOT, `fixtures/demo/k8s-audit/kube-apiserver-audit-2026-11-0${d}.log.gz`);
const header = (file: string) => JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!);
const MIXED = /^warning: the profiles were made with different filters \(--namespace shop; no filter\): /;

describe('profile filters in the header', () => {
  const dir = tmp('filters-');
  const p = (n: string) => join(dir, n);
  const make = (name: string, day: string, ...args: string[]) =>
    expect(cli(['profile', '--k8s-audit', DAY(day), '-o', p(name), '-q', ...args]).code).toBe(0);
  make('shop2.json', '2', '--namespace', 'shop');
  make('shop3.json', '3', '--namespace', 'shop');
  make('all3.json', '3');
  make('kinds3.json', '3', '--subject-kind', 'user,serviceaccount', '--exclude-subject', 'system:serviceaccount:ci:*');

  it('a filtered profile names its filters; an unfiltered one, or one of the default kinds, has no field', () => {
    expect(header(p('shop2.json')).filters).toEqual([{ namespaces: ['shop'] }]);
    expect(header(p('all3.json'))).not.toHaveProperty('filters');
    // --subject-kind user,serviceaccount is the default: only the exclusion is a filter.
    expect(header(p('kinds3.json')).filters).toEqual([{ excludeSubjects: ['system:serviceaccount:ci:*'] }]);
  });

  it('days profiled with the same filters merge without a word and keep them', () => {
    const m = cli(['merge', p('shop2.json'), p('shop3.json'), '-o', p('shop.json')]);
    expect(m.code).toBe(0);
    expect(m.stderr).not.toMatch(/warning/);
    expect(header(p('shop.json')).filters).toEqual([{ namespaces: ['shop'] }]);
  });

  it('a filtered and an unfiltered part: a warning even with -q, both sets kept, the same bytes in any order', () => {
    const ab = cli(['merge', p('shop2.json'), p('all3.json'), '-o', p('ab.json'), '-q']);
    const ba = cli(['merge', p('all3.json'), p('shop2.json'), '-o', p('ba.json'), '-q']);
    for (const r of [ab, ba]) {
      expect(r.code).toBe(0);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toMatch(MIXED);
    }
    expect(readFileSync(p('ab.json'))).toEqual(readFileSync(p('ba.json')));
    expect(header(p('ab.json')).filters).toEqual([{ namespaces: ['shop'] }, {}]);
    // Merged again with a part of its own filters: still the two sets, once each.
    expect(cli(['merge', p('ab.json'), p('shop3.json'), '-o', p('abc.json'), '-q']).code).toBe(0);
    expect(header(p('abc.json')).filters).toEqual([{ namespaces: ['shop'] }, {}]);
  });

  it('generate from the mixed profile says it once, though it reads the file more than once', () => {
    expect(cli(['merge', p('shop2.json'), p('all3.json'), '-o', p('mixed.json'), '-q']).code).toBe(0);
    const g = cli(['generate', 'all', '--profile', p('mixed.json'), '-o', p('policy'), '-q']);
    expect(g.code).toBe(0);
    expect(g.stderr.split('\n').filter((l) => MIXED.test(l))).toHaveLength(1);
    const same = cli(['generate', 'all', '--profile', p('shop2.json'), '-o', p('policy2'), '-q']);
    expect(same.stderr).not.toMatch(/different filters/);
  });

  it('the report says what a filtered profile covers, and that a merged one mixes filters', () => {
    const md = (profile: string, out: string) => {
      expect(cli(['report', '--profile', p(profile), '-o', p(out), '-q']).code).toBe(0);
      return readFileSync(p(out), 'utf8');
    };
    expect(md('shop2.json', 'shop.md')).toContain(
      '- the profile was made with --namespace shop: what that left out is in neither this report nor the policies made from it\n',
    );
    expect(cli(['merge', p('shop2.json'), p('all3.json'), '-o', p('mixed2.json'), '-q']).code).toBe(0);
    expect(md('mixed2.json', 'mixed.md')).toMatch(
      /\n- the profiles were made with different filters \\\(--namespace shop; no filter\\\)/,
    );
    expect(md('all3.json', 'all.md')).not.toMatch(/made with/);
    // A profile narrowed while read: its header names only its own filters, the report these too.
    const narrowed = cli(['report', '--profile', p('all3.json'), '--namespace', 'shop', '-o', p('n.md'), '-q']);
    expect(narrowed.code).toBe(0);
    expect(readFileSync(p('n.md'), 'utf8')).toContain(
      '- this report covers what --namespace shop keeps of the profile given: the rest of the profile is not in it\n',
    );
    expect(readFileSync(p('all.md'), 'utf8')).not.toMatch(/keeps of the profile/);
  });

  it('a header whose filters are not the shape is refused with the file named', () => {
    const lines = readFileSync(p('shop2.json'), 'utf8').split('\n');
    const h = JSON.parse(lines[0]!);
    h.filters = [{ namespaces: 'shop' }];
    writeFileSync(p('bad.json'), [JSON.stringify(h), ...lines.slice(1)].join('\n'));
    const r = cli(['merge', p('bad.json'), p('all3.json'), '-o', p('x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(p('bad.json'));
  });
});

describe('filter sets', () => {
  it('canonical: sorted, once each, default kinds left out', () => {
    const f = profileFilters({
      ...defaultScope(),
      subjects: ['b*', 'a*', 'b*'],
      subjectKinds: ['Group', 'User'],
      includeSystem: true,
    });
    expect(f).toEqual({ subjects: ['a*', 'b*'], subjectKinds: ['Group', 'User'], includeSystem: true });
    expect(profileFilters(defaultScope())).toBeUndefined();
    expect(describeFilters(f!)).toBe('--subject "a*" "b*" --subject-kind group,user --include-system');
    expect(describeFilters({ namespaces: ['a b'] })).toBe('--namespace "a b"');
  });

  it('the union: absent inputs are unfiltered, none filtered leaves the field out, order does not matter', () => {
    expect(unionFilters([undefined, undefined])).toBeUndefined();
    expect(unionFilters([[{}], undefined])).toBeUndefined();
    const x = { namespaces: ['shop'] };
    const y = { subjects: ['a'] };
    expect(unionFilters([[x], undefined, [y]])).toEqual(unionFilters([[y], [x], undefined]));
    expect(unionFilters([[x], undefined, [y]])).toEqual([{ namespaces: ['shop'] }, { subjects: ['a'] }, {}]);
  });
});
