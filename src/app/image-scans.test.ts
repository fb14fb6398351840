import { describe, expect, it } from 'vitest';
import { imageExcluded } from './image-scans.js';

describe('imageExcluded', () => {
  it('excludes nothing without patterns', () => {
    expect(imageExcluded('nginx:1.25', [])).toBe(false);
  });

  it('matches the reference as written and its normalised form, with ** crossing /', () => {
    expect(imageExcluded('nginx:1.25', ['docker.io/**'])).toBe(true);
    expect(imageExcluded('nginx:1.25', ['nginx:*'])).toBe(true);
    expect(imageExcluded('registry.internal:5000/sandbox/tool:1', ['registry.internal:5000/sandbox/*'])).toBe(true);
    expect(imageExcluded('registry.internal:5000/team/app:1', ['registry.internal:5000/sandbox/*'])).toBe(false);
    expect(imageExcluded('registry.internal:5000/team/app/api:1', ['registry.internal:5000/team/*'])).toBe(false);
    expect(imageExcluded('registry.internal:5000/team/app/api:1', ['registry.internal:5000/team/**'])).toBe(true);
  });

  it('matches an unparsable reference only as written', () => {
    expect(imageExcluded('Not A Ref', ['Not A Ref'])).toBe(true);
    expect(imageExcluded('Not A Ref', ['docker.io/**'])).toBe(false);
  });
});
