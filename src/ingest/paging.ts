/**
 * The paging loop the API readers share (CloudTrail LookupEvents, CloudWatch Logs FilterLogEvents): a
 * minimum interval between calls, items read once by id, and a stop when the service hands back a
 * token it gave before (a loop that would never end). The SDK retries each call on its own.
 */
export interface Paging<P, E> {
  fetch(token: string | undefined): Promise<P>;
  items(page: P): readonly E[];
  next(page: P): string | undefined;
  /** '' when the item has none (never deduplicated). */
  id(item: E): string;
  minIntervalMs: number;
  onPage?: (items: number) => void;
  /** A token seen before: said with the pages read; without it, an Error ends the read. */
  onRepeatedToken?: (pages: number) => void;
}

export async function* paged<P, E>(p: Paging<P, E>): AsyncGenerator<E> {
  const seen = new Set<string>();
  const tokens = new Set<string>();
  let token: string | undefined;
  let last = 0;
  let pages = 0;
  do {
    const wait = last + p.minIntervalMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    last = Date.now();
    const page = await p.fetch(token);
    pages++;
    const items = p.items(page);
    p.onPage?.(items.length);
    for (const e of items) {
      const id = p.id(e);
      if (id !== '' && seen.has(id)) continue;
      if (id !== '') seen.add(id);
      yield e;
    }
    token = p.next(page) || undefined;
    if (token !== undefined && tokens.has(token)) {
      if (!p.onRepeatedToken)
        throw new Error(`the service returned a paging token it had already given, after ${pages} pages`);
      p.onRepeatedToken(pages);
      return;
    }
    if (token !== undefined) tokens.add(token);
  } while (token);
}
