import { checkGrudge, DAEMON, type Grudge } from './grudge.js';

/**
 * Renders a grudge as one `iptables-restore --noflush` input per node, for the filter table of
 * that node's container.
 *
 * - Every nemesis rule lives in the chain FLUXNET, jumped to from INPUT and OUTPUT; healing is an
 *   empty FLUXNET. The input also flushes INPUT and OUTPUT before hooking them, so applying it
 *   twice never stacks a second jump: the nemesis owns INPUT/OUTPUT of node containers (nothing
 *   else writes there; Docker's DNS rules live in the nat table, which --noflush leaves alone).
 * - One restore is one nf_tables transaction: the node goes from the old grudge to the new one
 *   with no moment in between.
 * - Rules carry no conntrack state match, so they drop every packet, established flows included.
 *   The node image has no `conntrack` tool, and no flush is needed: no rule accepts a packet
 *   because its flow is known, and a dropped flow simply stops delivering (TCP retransmits into
 *   the void until the heal or its own timeout).
 * - `node drops peer` is `-s peer -j DROP` on the node, for peers that are nodes themselves. The
 *   daemon gets no rules of its own, so `daemon drops node` is `-d daemon -j DROP` on the node's
 *   side. Only node and daemon addresses are ever named: a node's own database stays reachable.
 */

export const NEMESIS_CHAIN = 'FLUXNET';

/** Where the endpoints of a grudge live. */
export interface EndpointAddresses {
  node(index: number): string;
  daemon: string;
}

export class IptablesRulesetError extends Error {
  override readonly name = 'IptablesRulesetError';
}

export interface RulesetArgs {
  /** The node whose container gets this ruleset. */
  node: number;
  grudge: Grudge;
  addresses: EndpointAddresses;
  /** The grudge may name the daemon (endpoint 0); without this a daemon rule is refused. */
  includeDaemon?: boolean;
}

export function renderRuleset(args: RulesetArgs): string {
  const { node, grudge, addresses } = args;
  const endpoints = [...new Set([node, ...grudge.keys(), ...[...grudge.values()].flatMap((set) => [...set])])];
  checkGrudge({
    grudge,
    nodes: endpoints.filter((endpoint) => endpoint !== DAEMON),
    allowDaemon: args.includeDaemon ?? false,
  });
  const rules: string[] = [];
  for (const peer of [...(grudge.get(node) ?? [])].sort((a, b) => a - b)) {
    rules.push(`-A ${NEMESIS_CHAIN} -s ${addressOf({ endpoint: peer, addresses })}/32 -j DROP`);
  }
  if (grudge.get(DAEMON)?.has(node)) {
    rules.push(`-A ${NEMESIS_CHAIN} -d ${addressOf({ endpoint: DAEMON, addresses })}/32 -j DROP`);
  }
  return [
    `# fluxnet nemesis: node ${node}`,
    '*filter',
    `:${NEMESIS_CHAIN} - [0:0]`,
    '-F INPUT',
    '-F OUTPUT',
    `-F ${NEMESIS_CHAIN}`,
    `-A INPUT -j ${NEMESIS_CHAIN}`,
    `-A OUTPUT -j ${NEMESIS_CHAIN}`,
    ...rules,
    'COMMIT',
    '',
  ].join('\n');
}

/** The heal: the hooks stay, FLUXNET is empty. */
export function healRuleset(args: { node: number; addresses: EndpointAddresses }): string {
  return renderRuleset({ node: args.node, grudge: new Map(), addresses: args.addresses });
}

function addressOf(args: { endpoint: number; addresses: EndpointAddresses }): string {
  const ip = args.endpoint === DAEMON ? args.addresses.daemon : args.addresses.node(args.endpoint);
  const what = args.endpoint === DAEMON ? 'the daemon' : `node ${args.endpoint}`;
  assertRunAddress({ ip, what });
  return ip;
}

/** Rules only ever name run addresses: IPv4 inside 198.18.0.0/15 (RFC 2544 benchmarking space). */
export function assertRunAddress(args: { ip: string; what: string }): void {
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(args.ip)?.slice(1).map(Number);
  const valid = octets?.every((octet) => octet <= 255) ?? false;
  if (!valid || octets![0] !== 198 || (octets![1] !== 18 && octets![1] !== 19)) {
    throw new IptablesRulesetError(`${args.what}: address ${JSON.stringify(args.ip)} is not an IPv4 in 198.18.0.0/15`);
  }
}
