// "Did you mean ...?" for ids typed by hand.
import { expect, test } from 'vitest';
import { didYouMean, editDistance, nearest } from '../../../src/cli/suggest.js';

test('edit distance counts a swap of neighbours as one edit', () => {
  expect(editDistance('shopify', 'shopify')).toBe(0);
  expect(editDistance('shopfy', 'shopify')).toBe(1);
  expect(editDistance('sohpify', 'shopify')).toBe(1);
  expect(editDistance('stripe', 'slack')).toBeGreaterThan(2);
});

test('the nearest known id, or nothing when none is close', () => {
  const ids = ['shopify', 'stripe', 'slack', 'mailchimp'];
  expect(nearest('shopfy', ids)).toEqual(['shopify']);
  expect(nearest('STRIPE', ids)).toEqual(['stripe']);
  expect(nearest('mail', ids)).toEqual(['mailchimp']);
  expect(nearest('zzz', ids)).toEqual([]);
  expect(didYouMean('stirpe', ids)).toBe(' Did you mean "stripe"?');
  expect(didYouMean('qqqqq', ids)).toBe('');
});
