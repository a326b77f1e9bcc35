// The progress bar counting items (ScoreCAM's and AblationCAM's masked forwards) rather than bytes.
import { expect, test } from 'vitest';
import { makeProgressBar } from '../src/node/progress.ts';

test('counts: "done / total forwards" on a terminal and off one', () => {
  const out: string[] = [];
  let t = 0;
  const bar = makeProgressBar('scorecam', { isTTY: true, write: (s: string) => out.push(s) }, () => (t += 200), { items: 'forwards' });
  for (let done = 16; done <= 2048; done += 16) bar.update(done, 2048);
  bar.done();
  expect(out.at(-2)).toContain('2048 / 2048 forwards');
  expect(out.at(-2)).toContain('100%');
  expect(out.at(-2)).not.toContain('MB');
  expect(out.at(-1)).toBe('\n');

  const plain: string[] = [];
  const log = makeProgressBar('ablationcam', { isTTY: false, write: (s: string) => plain.push(s) }, Date.now, { items: 'forwards' });
  for (let done = 32; done <= 512; done += 32) log.update(done, 512);
  log.done();
  expect(plain.length).toBeLessThanOrEqual(5);
  expect(plain.at(-1)).toBe('ablationcam: 512 / 512 forwards (100%)\n');
});
