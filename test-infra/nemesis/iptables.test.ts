import { describe, expect, it } from 'vitest';
import { halves, oneWay, withDaemon } from './grudge.js';
import {
  assertRunAddress,
  type EndpointAddresses,
  healRuleset,
  IptablesRulesetError,
  renderRuleset,
} from './iptables.js';

const addresses: EndpointAddresses = { node: (index) => `198.18.40.${10 + index}`, daemon: '198.18.40.2' };

function dropRules(ruleset: string): string[] {
  return ruleset.split('\n').filter((line) => line.endsWith('-j DROP'));
}

function namedAddresses(ruleset: string): string[] {
  return ruleset.match(/\d+\.\d+\.\d+\.\d+/g) ?? [];
}

describe('renderRuleset', () => {
  it('hooks FLUXNET from INPUT and OUTPUT and drops the grudged peers by source', () => {
    const ruleset = renderRuleset({ node: 1, grudge: halves({ nodes: [1, 2, 3, 4] }), addresses });
    expect(ruleset).toBe(
      [
        '# fluxnet nemesis: node 1',
        '*filter',
        ':FLUXNET - [0:0]',
        '-F INPUT',
        '-F OUTPUT',
        '-F FLUXNET',
        '-A INPUT -j FLUXNET',
        '-A OUTPUT -j FLUXNET',
        '-A FLUXNET -s 198.18.40.13/32 -j DROP',
        '-A FLUXNET -s 198.18.40.14/32 -j DROP',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('matches every packet, not only new flows, so established connections are cut too', () => {
    const ruleset = renderRuleset({ node: 3, grudge: halves({ nodes: [1, 2, 3, 4] }), addresses });
    expect(ruleset).not.toMatch(/state|ctstate|conntrack/);
  });

  it('one-way: only the receiving side gets a rule', () => {
    const grudge = oneWay({ from: 1, to: 2 });
    expect(dropRules(renderRuleset({ node: 2, grudge, addresses }))).toEqual(['-A FLUXNET -s 198.18.40.11/32 -j DROP']);
    expect(dropRules(renderRuleset({ node: 1, grudge, addresses }))).toEqual([]);
  });

  it('a node the grudge does not name gets the empty (healed) ruleset', () => {
    const ruleset = renderRuleset({ node: 5, grudge: halves({ nodes: [1, 2] }), addresses });
    expect(ruleset).toBe(healRuleset({ node: 5, addresses }));
    expect(dropRules(ruleset)).toEqual([]);
    expect(ruleset).toContain('-A INPUT -j FLUXNET');
  });

  it('the daemon only when asked: its drops are enforced on the node side, by destination', () => {
    const grudge = withDaemon({ grudge: new Map(), nodes: [2] });
    expect(() => renderRuleset({ node: 2, grudge, addresses })).toThrow(/the daemon \(endpoint 0\)/);
    expect(dropRules(renderRuleset({ node: 2, grudge, addresses, includeDaemon: true }))).toEqual([
      '-A FLUXNET -s 198.18.40.2/32 -j DROP',
      '-A FLUXNET -d 198.18.40.2/32 -j DROP',
    ]);
    expect(dropRules(renderRuleset({ node: 1, grudge, addresses, includeDaemon: true }))).toEqual([]);
  });

  it('names only peer node and daemon addresses, never a database or the node itself', () => {
    const ruleset = renderRuleset({
      node: 1,
      grudge: withDaemon({ grudge: halves({ nodes: [1, 2, 3] }), nodes: [1] }),
      addresses,
      includeDaemon: true,
    });
    expect(new Set(namedAddresses(ruleset))).toEqual(new Set(['198.18.40.13', '198.18.40.2']));
  });

  it('refuses an address outside 198.18.0.0/15, naming the endpoint', () => {
    const outside: EndpointAddresses = { node: (index) => (index === 2 ? '172.17.0.2' : '198.18.40.11'), daemon: '' };
    expect(() => renderRuleset({ node: 1, grudge: halves({ nodes: [1, 2] }), addresses: outside })).toThrow(
      /node 2: address "172.17.0.2" is not an IPv4 in 198.18.0.0\/15/,
    );
  });
});

describe('assertRunAddress', () => {
  it.each(['10.0.0.1', '192.168.1.1', '198.20.0.1', '198.18.0.256', '198.18.1', 'localhost', ''])(
    'refuses %j',
    (ip) => {
      expect(() => assertRunAddress({ ip, what: 'x' })).toThrow(IptablesRulesetError);
    },
  );

  it.each(['198.18.0.1', '198.19.255.254'])('accepts %s', (ip) => {
    expect(() => assertRunAddress({ ip, what: 'x' })).not.toThrow();
  });
});
