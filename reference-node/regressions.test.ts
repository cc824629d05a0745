import { describe, expect, it } from 'vitest';
import { REGRESSION_NAMES } from '../protocol/regressions.js';
import { IMPLEMENTED_REGRESSIONS, loadRegressions, parseRegressions, RegressionsError } from './regressions.js';

describe('FLUXNET_REGRESSIONS', () => {
  it('is off by default', () => {
    expect(loadRegressions({}).size).toBe(0);
    expect(parseRegressions('').size).toBe(0);
    expect(parseRegressions(' , ').size).toBe(0);
  });

  it('parses a comma list, trimming spaces and ignoring blank entries', () => {
    const set = loadRegressions({ FLUXNET_REGRESSIONS: ' sigterm-ttl-7min, gte-guards,,break-on-current-app ' });
    expect([...set].sort()).toEqual(['break-on-current-app', 'gte-guards', 'sigterm-ttl-7min']);
  });

  it('rejects an unknown name, naming it and listing the accepted ones', () => {
    expect(() => parseRegressions('sigterm-ttl-7min,sigterm-ttl-8min')).toThrowError(RegressionsError);
    expect(() => parseRegressions('sigterm-ttl-8min')).toThrowError(
      /FLUXNET_REGRESSIONS: "sigterm-ttl-8min": unknown regression; known: .*sigterm-ttl-7min/,
    );
  });

  it('has a code path for every catalogued toggle, and accepts them all', () => {
    expect(Object.keys(IMPLEMENTED_REGRESSIONS).sort()).toEqual([...REGRESSION_NAMES].sort());
    expect(parseRegressions(REGRESSION_NAMES.join(',')).size).toBe(REGRESSION_NAMES.length);
  });
});
