/**
 * Globs as subject filters and IAM policies write them (one meaning, one implementation): `*` matches
 * any run of characters (colons and slashes included), `?` one character; everything else is literal.
 * `system:serviceaccount:shop:*` matches every service account in shop. `flags`: `is` for IAM actions.
 */
export function globToRegExp(glob: string, flags = 's'): RegExp {
  let src = '^';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(src + '$', flags);
}

export function matchesAny(value: string, globs: readonly RegExp[]): boolean {
  for (const g of globs) if (g.test(value)) return true;
  return false;
}
