/**
 * A listing's pages: the first, or with `all` every page, following `next_cursor` until it is null.
 * The items in order, and the cursor past the last page read (null when there is no more).
 */
export async function readPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null }>,
  all: boolean | undefined,
): Promise<{ items: T[]; next: string | null }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let next: string | null;
  do {
    const read = await page(cursor);
    items.push(...read.items);
    next = read.next_cursor;
    cursor = next ?? undefined;
  } while (all && next !== null);
  return { items, next };
}
