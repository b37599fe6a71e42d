/**
 * The text a reader of rendered Markdown sees, for tests: code spans' content as it is (a `\|` in one is a pipe, as
 * GFM tables read it), backslash escapes and HTML entities outside code resolved, `<code>` tags dropped.
 */
export function mdRead(md: string): string {
  const ents: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
  return md
    .replace(/<\/?code>/g, '')
    .replace(
      /(`+) (.*?) \1(?!`)|\\([!-/:-@[-`{-~])|&(lt|gt|amp|quot|#\d+);/g,
      (_m, _f, code?: string, esc?: string, ent?: string) => {
        if (code !== undefined) return code.replace(/\\\|/g, '|');
        if (esc !== undefined) return esc;
        return ent!.startsWith('#') ? String.fromCharCode(Number(ent!.slice(1))) : ents[ent!]!;
      },
    );
}
