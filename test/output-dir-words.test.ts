// `-o policy/` and `-o policy` are one directory: the summary names its parts `policy/rbac`, never `policy//rbac`
// (a user copies those paths into `kubectl apply -f` and CI configs).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { shownDir } from '../src/cli/commands/generate.js';

describe('the output directory in summaries', () => {
  it('a trailing slash is not doubled', () => {
    const out = join(tmp('outdir-'), 'policy');
    const r = cli(['generate', 'all', '--k8s-audit', join(ROOT, 'fixtures/demo/k8s-audit'), '-o', `${out}/`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(` in ${out}/rbac (evidence in ${out}/evidence/rbac)`);
    expect(r.stderr).not.toContain('//');
  });

  it('shownDir', () => {
    expect(shownDir('policy/')).toBe('policy');
    expect(shownDir('policy//')).toBe('policy');
    expect(shownDir('policy')).toBe('policy');
    expect(shownDir(undefined)).toBeUndefined();
  });
});
