import type { Migration } from './migration.js';

/**
 * Assets by key alone: the inventory's namespace filter (`key` starts with `<namespace>/`) across every
 * connector reads the index range of that prefix instead of every asset (on SQLite, whose binary collation
 * makes the prefix a range; see listAssets).
 */
export const m008AssetKeyIndex: Migration = {
  id: 8,
  name: 'asset_key_index',
  sqlite: 'CREATE INDEX assets_key ON assets(key);',
  postgres: 'CREATE INDEX assets_key ON assets(key text_pattern_ops);',
};
