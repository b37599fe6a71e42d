// kubectl cuts YAML into documents only at a line `---` (apimachinery's YAMLReader) and go-yaml reads the first YAML
// document of each piece (R1 hostile review); js-yaml's loadAll also started documents after `...` and after
// `\r---\r`, so a tree kubectl applies otherwise passed the gate.
import { describe, expect, it } from 'vitest';
import { BINDING, ROLE, gate, parsed } from './helpers/policyTree.js';
import { kubectlPieces } from '../src/policy/yamlDocuments.js';

describe('YAML documents as kubectl frames them', () => {
  it('kubectlPieces: cut only at a line `---` with nothing but spaces or a comment after it', () => {
    const pieces = (t: string) => kubectlPieces(t).pieces.map((p) => [p.start, p.text]);
    expect(pieces('a: 1\n--- # two\nb: 2\n')).toEqual([
      [1, 'a: 1\n'],
      [3, 'b: 2\n'],
    ]);
    expect(pieces('---\na: 1\r\n---\t\r\nb: 2')).toEqual([
      [1, '---\na: 1\n'],
      [4, 'b: 2\n'],
    ]);
    expect(pieces('a: 1\n...\nb: 2\n')).toEqual([[1, 'a: 1\n...\nb: 2\n']]);
    expect(pieces('a: 1\r---\rb: 2\n')).toEqual([[1, 'a: 1\r---\rb: 2\n']]);
    expect(kubectlPieces('a: 1\n--- |\n  b\n').bad).toEqual({ line: 2, after: '|' });
  });

  it('a document after `...`, or after `\\r---\\r`, is an issue at its line; what is read is what kubectl applies', () => {
    const dots = parsed(`${ROLE}...\n${BINDING}`);
    expect(dots.docs.map((d) => [(d.object as { kind: string }).kind, d.line])).toEqual([['Role', 1]]);
    expect(dots.issues.map((i) => [i.code, i.line])).toEqual([['policy.yaml-documents', 10]]);
    const cr = parsed(`${ROLE.trimEnd()}\r---\r${BINDING.replaceAll('\n', '\r')}`);
    expect(cr.docs.map((d) => (d.object as { kind: string }).kind)).toEqual(['Role']);
    expect(cr.issues.map((i) => [i.code, i.line])).toEqual([['policy.yaml-documents', 9]]);
    // Content after `...` at the head of a piece: go-yaml refuses it ("did not find expected node content").
    expect(parsed(`# header\n...\n${ROLE}`).issues.map((i) => [i.code, i.line])).toEqual([
      ['policy.yaml-documents', 2],
    ]);
    // `...` closing the last document, and `--- # comment`, are no issue: kubectl reads the same documents.
    expect(parsed(`${ROLE}...\n# the end\n`).issues).toEqual([]);
    const commented = parsed(`${ROLE}--- # the binding\n${BINDING}`);
    expect(commented.issues).toEqual([]);
    expect(commented.docs.map((d) => [(d.object as { kind: string }).kind, d.line])).toEqual([
      ['Role', 1],
      ['RoleBinding', 11],
    ]);
    // A directive: kubectl's piece ends at the `---` after it, and go-yaml refuses it alone ("found incompatible
    // YAML document" for %YAML 1.2): kubectl applies nothing of the file.
    const directive = parsed(`# header\n%YAML 1.2\n---\n${ROLE}`);
    expect(directive.docs).toEqual([]);
    expect(directive.issues.map((i) => [i.code, i.line, i.message.slice(0, 40)])).toEqual([
      ['policy.unparseable', 2, 'a YAML directive (`%YAML 1.2`): kubectl '],
    ]);
    // A separator kubectl refuses: the file is unparseable, at its line.
    expect(parsed(`${ROLE}--- !!map\n${BINDING}`).issues.map((i) => [i.code, i.line])).toEqual([
      ['policy.unparseable', 10],
    ]);
  });

  it('diff --fail-on any fails (exit 2) on a tree kubectl reads otherwise, naming file and line', () => {
    const r = gate({ 'rbac/shop/web.yaml': `${ROLE}...\n${BINDING}` });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/head\/rbac\/shop\/web\.yaml:10: policy\.yaml-documents: a YAML document kubectl never/);
    // Under --on-error skip the file is what kubectl applies: the Role without its binding.
    const skip = gate({ 'rbac/shop/web.yaml': `${ROLE}...\n${BINDING}` }, '--on-error', 'skip');
    expect(skip.stdout).toMatch(/0 new access \(0 risky\), 1 removed access/);
  });
});
