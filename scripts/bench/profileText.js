// A profile file's text without its `sources` (the only part that differs between runs over the same records split
// differently): the v1alpha2 header line with `sources` left out, then every other line as written.
import { readFileSync } from 'node:fs';

export function withoutSources(path) {
  const text = readFileSync(path, 'utf8');
  const nl = text.indexOf('\n');
  const { sources: _sources, ...head } = JSON.parse(nl < 0 ? text : text.slice(0, nl));
  return JSON.stringify(head) + (nl < 0 ? '' : text.slice(nl));
}
