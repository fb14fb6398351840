import { isMap, isSeq, isScalar, type Document, type LineCounter, type Node as YamlNode } from 'yaml';
import { formatPath } from '../model/path.js';

/** Line of the deepest existing node on `path` in a `yaml` Document, and the path as text. */
export function zodIssueMessage(doc: Document, counter: LineCounter, path: Array<string | number | symbol>): { line?: number; field?: string } {
  const segs = path.filter((p): p is string | number => typeof p !== 'symbol');
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as YamlNode | null)?.range?.[0];
  for (const seg of segs) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as YamlNode | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return { line: offset === undefined ? undefined : counter.linePos(offset).line, field: segs.length > 0 ? formatPath(segs) : undefined };
}
