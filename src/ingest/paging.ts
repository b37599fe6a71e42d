import type { NetworkRead } from '../util/network.js';

/**
 * The paging loop the API readers share (CloudTrail LookupEvents, CloudWatch Logs FilterLogEvents): a
 * minimum interval between calls, items read once by id, and a stop when the service hands back a
 * token it gave before (a loop that would never end). The SDK retries each call on its own. Under the
 * read's limits (util/network.ts): no request past the deadline, and a page whose items are no list, or
 * more than were asked for, or whose token is no string, ends the read (a NetworkLimitError).
 */
export interface Paging<P, E> {
  fetch(token: string | undefined): Promise<P>;
  /** The page's items as the service sent them (checked to be a list here). */
  items(page: P): unknown;
  next(page: P): unknown;
  read: NetworkRead;
  /** The most items a page may hold: what was asked for, or the API's documented page size. */
  maxItems: number;
  /** The names of the items and token fields, for messages (`Events`, `NextToken`). */
  fields: { items: string; token: string };
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
    p.read.check();
    const page = await p.fetch(token);
    const items = p.read.checkPage(p.items(page), p.maxItems, p.fields.items) as E[];
    const next = p.next(page);
    if (next !== undefined && next !== null && typeof next !== 'string')
      throw p.read.fail(`a malformed page (page ${pages + 1}): ${p.fields.token} is a ${typeof next}, not a string`);
    pages++;
    p.read.pages = pages;
    p.onPage?.(items.length);
    for (const e of items) {
      const id = p.id(e);
      if (id !== '' && seen.has(id)) continue;
      if (id !== '') seen.add(id);
      yield e;
    }
    token = next || undefined;
    if (token !== undefined && tokens.has(token)) {
      if (!p.onRepeatedToken)
        throw p.read.fail(`the service returned a paging token it had already given, after ${pages} pages`);
      p.onRepeatedToken(pages);
      return;
    }
    if (token !== undefined) tokens.add(token);
  } while (token);
}
