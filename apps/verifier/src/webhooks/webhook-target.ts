import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { BaseError } from '@verilay/errors';
import ipaddr from 'ipaddr.js';

/** A subscription URL or the address it resolves to is not one the verifier may call. */
export class WebhookUrlRefusedError extends BaseError {
  readonly code = 'WEBHOOK_URL_REFUSED';
}

/** Resolves a host name to all its addresses (dns.lookup by default; a port for tests). */
export type Resolve = (host: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

/** IPv6 global unicast; ipaddr.js calls everything it has no name for 'unicast'. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/** `::a.b.c.d` (RFC 4291's deprecated IPv4-compatible form): some stacks route it as IPv4. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Why an address is not a public unicast address (loopback, private, link-local, unique-local,
 * carrier-grade NAT, multicast, reserved, unspecified, ...), or null when it is. An IPv4 address
 * mapped into IPv6 is judged as the IPv4 address it carries; any other IPv6 address must be
 * global unicast (2000::/3), so IPv4-compatible and unallocated addresses are refused.
 */
export function nonPublicRange(address: string): string | null {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
    else if (v6.range() === 'unicast' && !v6.match(GLOBAL_UNICAST_V6))
      return v6.match(IPV4_COMPATIBLE) ? 'ipv4Compatible' : 'notGlobalUnicast';
  }
  const range = parsed.range();
  return range === 'unicast' ? null : range;
}

/**
 * Checks a webhook URL before it is stored: http or https, no credentials, no fragment, and
 * (unless `allowPrivate`) a host whose every address is public. Returns the normalized URL.
 * The same rule runs again on every delivery, on the address actually connected to
 * (`guardedLookup`), so a name that later resolves elsewhere (DNS rebinding) is refused then.
 */
export async function checkWebhookUrl(
  raw: string,
  allowPrivate: boolean,
  resolve = systemResolve,
): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRefusedError(`${JSON.stringify(raw.slice(0, 100))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookUrlRefusedError(`Webhook URLs must be http or https, not ${url.protocol}`);
  if (url.username || url.password)
    throw new WebhookUrlRefusedError('Webhook URLs may not carry credentials (user:password@)');
  if (url.hash) throw new WebhookUrlRefusedError('Webhook URLs may not have a fragment (#...)');
  if (!allowPrivate) await publicAddresses(url.hostname, resolve);
  return url;
}

/** All addresses of `host` (a name or an IP literal), each public, or a refusal naming the first that is not. */
export async function publicAddresses(host: string, resolve: Resolve): Promise<LookupAddress[]> {
  const bare = bareHost(host);
  let addresses: LookupAddress[];
  if (isIP(bare)) addresses = [{ address: bare, family: isIP(bare) }];
  else {
    try {
      addresses = await resolve(bare);
    } catch (e) {
      throw new WebhookUrlRefusedError(`The webhook host ${bare} does not resolve (${(e as Error).message})`);
    }
  }
  if (!addresses.length) throw new WebhookUrlRefusedError(`The webhook host ${bare} has no address`);
  for (const { address } of addresses) {
    const range = nonPublicRange(address);
    if (range)
      throw new WebhookUrlRefusedError(
        `The webhook host ${bare} resolves to ${address} (${range}); only public addresses are called unless VERIFIER_WEBHOOK_ALLOW_PRIVATE=true`,
      );
  }
  return addresses;
}

/** A URL's hostname without the brackets of an IPv6 literal. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request that connects only to addresses `publicAddresses` accepts (all of
 * them when private ones are allowed): the check and the connection use the same answer.
 */
export function guardedLookup(allowPrivate: boolean, resolve = systemResolve) {
  return (host: string, options: { all?: boolean }, callback: LookupCallback): void => {
    const answer = allowPrivate ? resolve(host) : publicAddresses(host, resolve);
    answer.then(
      (addresses) =>
        options.all ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family),
      (error: Error) => callback(error as NodeJS.ErrnoException, ''),
    );
  };
}
