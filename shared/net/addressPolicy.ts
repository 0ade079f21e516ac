import { BlockList, isIP } from "node:net";

/**
 * Where the app may send a callback (docs/events.md#where-callbacks-may-go). A `callbackUrl` is
 * chosen by the caller, so without these checks a caller could make the app POST to its own
 * network: loopback, private and link-local addresses, the cloud metadata endpoints, or a name
 * that resolves to one of them. Pure: no DNS here; the notifier resolves and asks again.
 */

/** Why an address is not a public unicast address. */
export type BlockedReason =
  | "cloud metadata"
  | "unspecified"
  | "loopback"
  | "private"
  | "shared (CGNAT)"
  | "link-local"
  | "unique-local"
  | "multicast"
  | "documentation"
  | "reserved"
  | "IPv4-embedding";

/**
 * IANA's special-purpose registries (IPv4 and IPv6) plus the metadata endpoints, first match wins.
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) needs no row: `BlockList` checks it against the IPv4 rows.
 * IPv4-compatible (`::a.b.c.d`), NAT64, 6to4 and Teredo addresses embed an IPv4 address a router
 * may forward to, so they are refused whole rather than decoded.
 */
const RANGES: readonly (readonly [BlockedReason, string])[] = [
  // Azure IMDS (and AWS, GCP) at 169.254.169.254; Azure's wire server; AWS's IPv6 IMDS.
  ["cloud metadata", "169.254.169.254/32"],
  ["cloud metadata", "168.63.129.16/32"],
  ["cloud metadata", "fd00:ec2::254/128"],
  ["unspecified", "0.0.0.0/8"],
  ["unspecified", "::/128"],
  ["loopback", "127.0.0.0/8"],
  ["loopback", "::1/128"],
  ["private", "10.0.0.0/8"],
  ["private", "172.16.0.0/12"],
  ["private", "192.168.0.0/16"],
  ["shared (CGNAT)", "100.64.0.0/10"],
  ["link-local", "169.254.0.0/16"],
  ["link-local", "fe80::/10"],
  ["unique-local", "fc00::/7"],
  ["multicast", "224.0.0.0/4"],
  ["multicast", "ff00::/8"],
  ["documentation", "192.0.2.0/24"],
  ["documentation", "198.51.100.0/24"],
  ["documentation", "203.0.113.0/24"],
  ["documentation", "2001:db8::/32"],
  ["documentation", "3fff::/20"],
  ["IPv4-embedding", "::/96"],
  ["IPv4-embedding", "64:ff9b::/96"],
  ["IPv4-embedding", "64:ff9b:1::/48"],
  ["IPv4-embedding", "2002::/16"],
  ["IPv4-embedding", "2001::/32"],
  ["reserved", "192.0.0.0/24"],
  ["reserved", "192.88.99.0/24"],
  ["reserved", "198.18.0.0/15"],
  ["reserved", "240.0.0.0/4"],
  ["reserved", "100::/64"],
  ["reserved", "2001::/23"],
  ["reserved", "fec0::/10"],
  ["reserved", "5f00::/16"],
];

function familyOf(address: string): "ipv4" | "ipv6" {
  return isIP(address) === 6 ? "ipv6" : "ipv4";
}

function parseCidr(cidr: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | undefined {
  const [address = "", prefixText, extra] = cidr.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > max) return undefined;
  return { address, prefix, family: family === 4 ? "ipv4" : "ipv6" };
}

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

const LISTS = RANGES.map(([reason, cidr]) => [reason, blockListOf([cidr])] as const);

/** `[::1]` → `::1`; a zone (`fe80::1%eth0`) is kept so it is not mistaken for a name. */
export function unbracketed(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** Why `address` (an IP literal) is not a public unicast address; undefined when it is one. */
export function blockedAddressReason(address: string): BlockedReason | undefined {
  // A zone id (`fe80::1%eth0`) makes BlockList throw; only link-local addresses carry one.
  const bare = unbracketed(address).split("%")[0] ?? "";
  if (isIP(bare) === 0) return "reserved";
  return LISTS.find(([, list]) => list.check(bare, familyOf(bare)))?.[0];
}

export function isLoopbackAddress(address: string): boolean {
  return blockedAddressReason(address) === "loopback";
}

/**
 * Names that never leave the machine or the site: `localhost` and `*.localhost` (RFC 6761), mDNS
 * `*.local`, `*.internal` (ICANN's private-use TLD, also GCP's metadata name), `*.home.arpa`
 * (RFC 8375), `*.localdomain`, and single-label names, which resolve through the local search
 * domains. Anything else is judged by the addresses it resolves to, at delivery.
 */
export function isLocalName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (!name.includes(".")) return true;
  return ["localhost", "local", "internal", "home.arpa", "localdomain"].some(
    (suffix) => name === suffix || name.endsWith(`.${suffix}`),
  );
}

/**
 * `CALLBACK_ALLOWED_HOSTS`, parsed: internal receivers a callback may reach although they are
 * private, on any port. Plain data so configuration stays comparable; `CallbackTargetPolicy`
 * builds the lookups.
 */
export interface CallbackAllowList {
  /** Exact host names, lower case, no trailing dot. */
  hosts: string[];
  /** `*.corp.example` → `corp.example`: any name below it (not the name itself). */
  domains: string[];
  /** IP addresses and CIDR blocks (`10.1.2.3/32`, `fd00::/8`). */
  networks: string[];
}

export const EMPTY_ALLOW_LIST: CallbackAllowList = { hosts: [], domains: [], networks: [] };

const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Comma- or space-separated host names, `*.domain`s, IPs and CIDRs; each bad entry is a problem. */
export function parseCallbackAllowList(value: string | undefined): {
  allowList: CallbackAllowList;
  problems: string[];
} {
  const allowList: CallbackAllowList = { hosts: [], domains: [], networks: [] };
  const problems: string[] = [];
  for (const raw of (value ?? "").split(/[\s,]+/).filter(Boolean)) {
    const entry = unbracketed(raw.toLowerCase()).replace(/\.$/, "");
    const cidr = parseCidr(entry);
    if (cidr) {
      allowList.networks.push(`${cidr.address}/${cidr.prefix}`);
    } else if (entry.startsWith("*.") && HOST_NAME.test(entry.slice(2))) {
      allowList.domains.push(entry.slice(2));
    } else if (HOST_NAME.test(entry) && !/^[\d.]+$/.test(entry)) {
      allowList.hosts.push(entry);
    } else {
      problems.push(`"${raw}" is not a host name, *.domain, IP address or CIDR block`);
    }
  }
  return { allowList, problems };
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** The allow-list and the blocked ranges together: what intake and delivery both ask. */
export class CallbackTargetPolicy {
  private readonly networks: BlockList;

  constructor(private readonly allowList: CallbackAllowList = EMPTY_ALLOW_LIST) {
    this.networks = blockListOf(allowList.networks);
  }

  /** Listed by name: any address, any port. */
  private hostAllowed(host: string): boolean {
    const name = host.toLowerCase().replace(/\.$/, "");
    return this.allowList.hosts.includes(name) || this.allowList.domains.some((d) => name.endsWith(`.${d}`));
  }

  private addressAllowed(address: string): boolean {
    const bare = unbracketed(address).split("%")[0] ?? "";
    return isIP(bare) !== 0 && this.networks.check(bare, familyOf(bare));
  }

  /**
   * What the URL alone shows (intake, and again before delivery): an IP literal in a blocked range
   * (after WHATWG normalisation, so `2130706433` and `0x7f.1` are 127.0.0.1), a local name, or a
   * port other than 443. Returns why, or undefined.
   */
  refuseUrl(url: URL): string | undefined {
    const host = unbracketed(url.hostname);
    if (this.hostAllowed(host) || this.addressAllowed(host)) return undefined;
    if (isIP(host) !== 0) {
      const reason = blockedAddressReason(host);
      if (reason) return `${host} is a ${reason} address`;
    } else if (isLocalName(host)) {
      return `${host} is a local name`;
    }
    if (url.port !== "") {
      return `port ${url.port} is not allowed: callbacks go to port 443 unless the host is listed in CALLBACK_ALLOWED_HOSTS`;
    }
    return undefined;
  }

  /** At delivery: every address the host resolved to must be public or allow-listed. */
  refuseAddresses(host: string, addresses: readonly ResolvedAddress[]): string | undefined {
    if (this.hostAllowed(unbracketed(host))) return undefined;
    if (addresses.length === 0) return `${host} resolved to no address`;
    for (const { address } of addresses) {
      if (this.addressAllowed(address)) continue;
      const reason = blockedAddressReason(address);
      if (reason) return `${host} resolves to ${address}, a ${reason} address`;
    }
    return undefined;
  }
}

/**
 * Intake's check of a `callbackUrl` (already an https URL by the body's schema): what the URL alone
 * shows is refused before anything is queued; names are checked again, resolved, at delivery.
 */
export function refuseCallbackUrl(
  allowList: CallbackAllowList | undefined,
  callbackUrl: string | undefined,
): string | undefined {
  if (callbackUrl === undefined || !URL.canParse(callbackUrl)) return undefined;
  const reason = new CallbackTargetPolicy(allowList).refuseUrl(new URL(callbackUrl));
  return reason && `must not point into a private network: ${reason}`;
}
