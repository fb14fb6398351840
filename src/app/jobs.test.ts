import { describe, expect, it } from 'vitest';
import { InProcessQueue } from './jobs.js';

describe('in-process job queue', () => {
  it('runs registered jobs, drops a waiting duplicate by singletonKey, and retries failures', async () => {
    const q = new InProcessQueue(1);
    const seen: string[] = [];
    let failures = 1;
    q.register<{ image: string }>('scan', async (d, job) => {
      if (d.image === 'flaky' && failures-- > 0) throw new Error('registry timeout');
      seen.push(`${d.image}#${job.attempt}`);
    });
    expect(await q.enqueue('scan', { image: 'a' }, { singletonKey: 'a' })).toBeDefined();
    expect(await q.enqueue('scan', { image: 'a' }, { singletonKey: 'a' })).toBeUndefined();
    await q.enqueue('scan', { image: 'flaky' });
    await q.start();
    await q.idle();
    await q.stop();
    expect(seen).toEqual(['a#1', 'flaky#2']);
  });

  it('gives up after retryLimit', async () => {
    const errors: number[] = [];
    const q = new InProcessQueue(1, (job) => errors.push(job.attempt));
    q.register('x', async () => {
      throw new Error('always');
    });
    await q.enqueue('x', {}, { retryLimit: 1 });
    await q.start();
    await q.idle();
    expect(errors).toEqual([1, 2]);
  });
});
