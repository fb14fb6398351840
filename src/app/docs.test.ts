import { describe, expect, it } from 'vitest';
import { staleDocs } from './docs.js';

describe('generated documentation', () => {
  it('README catalogue, docs/checks.md and docs/frameworks.md match the registry (run `npm run docs`)', () => {
    expect(staleDocs()).toEqual([]);
  });
});
