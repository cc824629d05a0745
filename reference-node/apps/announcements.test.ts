import { afterEach, describe, expect, it } from 'vitest';
import { NO_REGRESSIONS, type RegressionName } from '../../protocol/regressions.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { type AnnounceRequest, AppAnnouncements } from './announcements.js';

const created: AppAnnouncements[] = [];

afterEach(() => {
  for (const announcements of created.splice(0)) announcements.stop();
});

function setup({
  regressions = NO_REGRESSIONS,
  capable = true,
}: {
  regressions?: ReadonlySet<RegressionName>;
  capable?: boolean;
} = {}) {
  const sent: AnnounceRequest[] = [];
  const state = { capable };
  const announcements = new AppAnnouncements({
    tunables: DEFAULT_TUNABLES,
    regressions,
    canSendMessages: () => state.capable,
    announce: async (request) => {
      sent.push(request);
    },
    onError: (error) => {
      throw error;
    },
  });
  created.push(announcements);
  return { announcements, sent, state };
}

describe('app announcements (§5.5)', () => {
  it('the first broadcast asked for at the peer threshold waits for boot:settled', () => {
    const { announcements, sent } = setup();
    announcements.peersReady();
    expect(sent).toEqual([]);
    announcements.settleBoot();
    expect(sent).toEqual([{ allowEmpty: false }]);
  });

  it('regression first-broadcast-races-boot: same inputs, the first broadcast goes at once, empty allowed', () => {
    const { announcements, sent } = setup({ regressions: new Set(['first-broadcast-races-boot']) });
    announcements.peersReady();
    expect(sent).toEqual([{ allowEmpty: true }]);
    announcements.settleBoot();
    expect(sent).toEqual([{ allowEmpty: true }]);
  });

  it('nothing goes out without message capability; the pending first broadcast follows the capability', () => {
    const { announcements, sent, state } = setup({ capable: false });
    announcements.settleBoot();
    announcements.peersReady();
    announcements.routine();
    expect(sent).toEqual([]);
    state.capable = true;
    announcements.capabilityChanged(true);
    expect(sent).toEqual([{ allowEmpty: false }]);
  });

  it('installs and regained capability announce only once boot has settled', () => {
    const { announcements, sent } = setup();
    announcements.routine();
    announcements.capabilityChanged(true);
    expect(sent).toEqual([]);
    announcements.settleBoot();
    announcements.routine();
    announcements.capabilityChanged(false);
    announcements.capabilityChanged(true);
    expect(sent).toEqual([{ allowEmpty: false }, { allowEmpty: false }]);
  });
});
