/**
 * Subject globs: `*` matches any run of characters (colons included), `?` one character;
 * everything else is literal. `system:serviceaccount:shop:*` matches every service account in shop.
 */
export function globToRegExp(glob: string): RegExp {
  let src = '^';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(src + '$', 's');
}

export function matchesAny(value: string, globs: readonly RegExp[]): boolean {
  for (const g of globs) if (g.test(value)) return true;
  return false;
}
