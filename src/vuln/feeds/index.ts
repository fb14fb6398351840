import type { Feed } from './feed.js';
import { alpineSecdb } from './alpine-secdb.js';
import { debianTracker } from './debian-tracker.js';
import { osv } from './osv.js';

export type { Feed, FeedDocument, FeedDocumentFormat, FeedEntryError, FeedParseResult } from './feed.js';
export { isUrl, joinLocation } from './feed.js';

/** Every advisory feed, one module each in this folder, in the order `palisade db update` fetches them. */
export const FEEDS: readonly Feed[] = [osv, debianTracker, alpineSecdb];

/** The feed with this id, if any. */
export function feedById(id: string): Feed | undefined {
  return FEEDS.find((f) => f.id === id);
}
