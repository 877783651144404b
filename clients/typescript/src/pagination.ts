// List RPCs answer a page and an opaque `next_page_token` (empty on the last page).
import { ConnectError, Code } from "@connectrpc/connect";

export interface PageOptions {
  /** Stop after this many pages. */
  maxPages?: number;
}

/**
 * Every item of every page, fetched lazily: the next page is requested only when the
 * consumer has taken every item of the previous one.
 *
 *     for await (const ticker of paginate((pageToken) =>
 *         client.market.listTickers({ sector, pageToken }), (page) => page.tickers)) { ... }
 */
export async function* paginate<Page extends { nextPageToken: string }, Item>(
  fetchPage: (pageToken: string) => Promise<Page>,
  items: (page: Page) => Iterable<Item>,
  options: PageOptions = {},
): AsyncGenerator<Item, void, undefined> {
  const seen = new Set<string>();
  let pageToken = "";
  for (let pages = 0; options.maxPages === undefined || pages < options.maxPages; pages++) {
    const page = await fetchPage(pageToken);
    yield* items(page);
    if (!page.nextPageToken) {
      return;
    }
    if (seen.has(page.nextPageToken)) {
      throw new ConnectError(`the server repeated the page token ${JSON.stringify(page.nextPageToken)}`,
        Code.Internal);
    }
    seen.add(page.nextPageToken);
    pageToken = page.nextPageToken;
  }
}
