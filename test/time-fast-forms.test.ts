import { describe, expect, it } from 'vitest';
import { readTime } from '../src/util/time.js';

/**
 * The forms read without the regular expression (util/time.ts fastTime: the API server's microseconds, milliseconds,
 * CloudTrail's whole seconds, and the nanoseconds Go's protobuf JSON writes for Hubble flows and GKE entries) give what
 * the general reader gives for the same text, and refuse what it refuses: the shortcut changes no instant.
 */

/** The same text with its `Z` as `+00:00`: the general reader's path, never the shortcut's. */
const general = (s: string) => readTime(s.slice(0, -1) + '+00:00')?.time;

describe('the shortcut forms read as the general reader reads them', () => {
  it.each([
    '2026-11-02T08:00:00.123456789Z',
    '2026-11-02T08:00:00.999999999Z',
    '2024-02-29T23:59:59.000000001Z',
    '2026-11-02T08:00:00.123456Z',
    '2026-11-02T08:00:00.123Z',
    '2026-11-02T08:00:00Z',
  ])('%s', (s) => {
    expect(readTime(s)).toEqual({ time: general(s), rfc3339: true });
  });

  it.each([
    '2026-02-30T08:00:00.123456789Z',
    '2025-02-29T08:00:00.123456789Z',
    '2026-11-02T24:00:00.123456789Z',
    '2026-11-02T08:60:00.123456789Z',
    '2026-11-02T08:00:00.12345678xZ',
    '2026-11-02T08:00:00,123456789Z',
    '2026-11-02 08:00:00.123456789Z'.replace(' ', '_'),
  ])('%s is no time either way', (s) => {
    expect(general(s)).toBeUndefined();
    expect(readTime(s)).toBeUndefined();
  });
});
