import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { HeraldError } from '@herald/core';

/**
 * Endpoint safety (F15): decides whether a webhook target may be connected to. Targets in
 * private, loopback, link-local and other non-public address ranges are refused unless the
 * operator allow-lists them in HERALD_ALLOWED_TARGETS. Every address a hostname resolves to
 * is checked, and the sender connects to the checked address (no second lookup, so no DNS
 * rebinding between the check and the connection).
 */

/** The environment variable the allow-list comes from; named in refusal reasons. */
export const ALLOWED_TARGETS_VARIABLE = 'HERALD_ALLOWED_TARGETS';

export type IpFamily = 4 | 6;

/** An address range, e.g. `10.0.0.0/8` or `::1/128`. */
export interface Cidr {
  family: IpFamily;
  /** The network address, 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
  /** As written by the operator (normalised to lower case). */
  text: string;
}

/** The parsed HERALD_ALLOWED_TARGETS. */
export interface AllowedTargets {
  cidrs: Cidr[];
  /** Exact hostnames, lower case, without a trailing dot. */
  hostnames: string[];
  /** `*.example.com` entries, stored as the suffix `.example.com`. */
  hostnameSuffixes: string[];
}

export type TargetDecision =
  | { allowed: true; /** The checked address to connect to. */ address: string; family: IpFamily }
  | { allowed: false; reason: string };

export interface LookupAddress {
  address: string;
  family: number;
}

/** Resolves a hostname to all its addresses; `dns.promises.lookup(hostname, { all: true })` by default. */
export type LookupAll = (hostname: string, options: { all: true }) => Promise<LookupAddress[]>;

export interface TargetGuardOptions {
  /** The allow-list: HERALD_ALLOWED_TARGETS text, or its parsed form. Default: nothing allowed beyond public addresses. */
  allowedTargets?: string | AllowedTargets;
  /** Injectable resolver (tests, custom DNS). */
  lookup?: LookupAll;
}

/** Thrown into the HTTP client when a target is refused; the sender classifies it as `ssrf_blocked`. */
export class TargetBlockedError extends Error {
  override readonly name = 'TargetBlockedError';
  readonly code = 'HERALD_SSRF_BLOCKED';
}

// ---------------------------------------------------------------------------------------
// Addresses

interface Ip {
  family: IpFamily;
  bytes: Uint8Array;
}

function ipv6Bytes(text: string): Uint8Array {
  let s = text;
  if (s.includes('.')) {
    // A trailing dotted quad (`::ffff:1.2.3.4`) becomes two hex groups.
    const at = s.lastIndexOf(':');
    const q = s.slice(at + 1).split('.').map(Number) as [number, number, number, number];
    s = `${s.slice(0, at + 1)}${((q[0] << 8) | q[1]).toString(16)}:${((q[2] << 8) | q[3]).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - (tail === '' ? 0 : tail.split(':').length)).fill('0'), ...(tail === '' ? [] : tail.split(':'))];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** Parses a literal IPv4 (dotted quad) or IPv6 address, with or without brackets or a zone id. */
function parseIp(text: string): Ip | undefined {
  let t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const family = isIP(t);
  if (family === 4) return { family: 4, bytes: Uint8Array.from(t.split('.').map(Number)) };
  if (family === 6) {
    const zone = t.indexOf('%');
    if (zone >= 0) t = t.slice(0, zone);
    return { family: 6, bytes: ipv6Bytes(t.toLowerCase()) };
  }
  return undefined;
}

function formatIp(ip: Ip): string {
  if (ip.family === 4) return ip.bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip.bytes[i]! << 8) | ip.bytes[i + 1]!).toString(16));
  // Shorten the longest run of two or more zero groups to `::`.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function inCidr(ip: Ip, c: Pick<Cidr, 'family' | 'bytes' | 'prefix'>): boolean {
  if (ip.family !== c.family) return false;
  let bits = c.prefix;
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (ip.bytes[i] !== c.bytes[i]) return false;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((ip.bytes[i]! ^ c.bytes[i]!) & mask) === 0;
}

function cidr(text: string): Cidr {
  const [addr, prefix] = text.split('/') as [string, string];
  const ip = parseIp(addr)!;
  return { family: ip.family, bytes: ip.bytes, prefix: Number(prefix), text };
}

const IPV4_MAPPED = cidr('::ffff:0:0/96');

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4 address a.b.c.d; others unchanged. */
function unmap(ip: Ip): Ip {
  return ip.family === 6 && inCidr(ip, IPV4_MAPPED) ? { family: 4, bytes: ip.bytes.slice(12) } : ip;
}

interface AddressClass {
  range: Cidr;
  /** A noun phrase with its article: "a loopback address". */
  label: string;
  /** For IPv6 ranges that carry an IPv4 address: where it sits. The embedded address is judged by the IPv4 rules. */
  embedded?: (ip: Ip) => Ip;
}

const v4At = (offset: number) => (ip: Ip): Ip => ({ family: 4, bytes: ip.bytes.slice(offset, offset + 4) });

/** Non-public ranges, refused unless allow-listed. The longest matching prefix names the class. */
const BLOCKED: AddressClass[] = [
  // IPv4
  { range: cidr('0.0.0.0/8'), label: 'a "this network" address (0.0.0.0/8)' },
  { range: cidr('0.0.0.0/32'), label: 'the unspecified address' },
  { range: cidr('10.0.0.0/8'), label: 'a private address (10.0.0.0/8)' },
  { range: cidr('100.64.0.0/10'), label: 'a carrier-grade NAT address (100.64.0.0/10)' },
  { range: cidr('127.0.0.0/8'), label: 'a loopback address' },
  { range: cidr('169.254.0.0/16'), label: 'a link-local address' },
  { range: cidr('169.254.169.254/32'), label: 'the cloud metadata address (link-local)' },
  { range: cidr('168.63.129.16/32'), label: 'the Azure platform (WireServer) address' },
  { range: cidr('172.16.0.0/12'), label: 'a private address (172.16.0.0/12)' },
  { range: cidr('192.0.0.0/24'), label: 'an IETF protocol assignment address (192.0.0.0/24)' },
  { range: cidr('192.0.2.0/24'), label: 'a documentation address (192.0.2.0/24)' },
  { range: cidr('192.88.99.0/24'), label: 'a 6to4 relay anycast address (192.88.99.0/24)' },
  { range: cidr('192.168.0.0/16'), label: 'a private address (192.168.0.0/16)' },
  { range: cidr('198.18.0.0/15'), label: 'a benchmarking address (198.18.0.0/15)' },
  { range: cidr('198.51.100.0/24'), label: 'a documentation address (198.51.100.0/24)' },
  { range: cidr('203.0.113.0/24'), label: 'a documentation address (203.0.113.0/24)' },
  { range: cidr('224.0.0.0/4'), label: 'a multicast address' },
  { range: cidr('240.0.0.0/4'), label: 'a reserved address (240.0.0.0/4)' },
  { range: cidr('255.255.255.255/32'), label: 'the broadcast address' },
  // IPv6 (IPv4-mapped addresses never get here: they are judged as IPv4)
  { range: cidr('::/128'), label: 'the unspecified address' },
  { range: cidr('::1/128'), label: 'a loopback address' },
  { range: cidr('::/96'), label: 'an IPv4-compatible IPv6 address (deprecated, ::/96)' },
  { range: cidr('64:ff9b::/96'), label: 'a NAT64 address (64:ff9b::/96)', embedded: v4At(12) },
  { range: cidr('64:ff9b:1::/48'), label: 'a local-use NAT64 address (64:ff9b:1::/48)' },
  { range: cidr('100::/64'), label: 'a discard-only address (100::/64)' },
  { range: cidr('2001::/23'), label: 'an IETF protocol assignment address (2001::/23)' },
  { range: cidr('2001::/32'), label: 'a Teredo address (2001::/32)' },
  { range: cidr('2001:2::/48'), label: 'a benchmarking address (2001:2::/48)' },
  { range: cidr('2001:db8::/32'), label: 'a documentation address (2001:db8::/32)' },
  { range: cidr('2002::/16'), label: 'a 6to4 address (2002::/16)', embedded: v4At(2) },
  { range: cidr('fc00::/7'), label: 'a unique local address (fc00::/7)' },
  { range: cidr('fd00:ec2::254/128'), label: 'the AWS metadata address (unique local)' },
  { range: cidr('fe80::/10'), label: 'a link-local address' },
  { range: cidr('fec0::/10'), label: 'a site-local address (deprecated, fec0::/10)' },
  { range: cidr('ff00::/8'), label: 'a multicast address' },
];

const IPV6_GLOBAL_UNICAST = cidr('2000::/3');

function classify(ip: Ip): AddressClass | undefined {
  let found: AddressClass | undefined;
  for (const c of BLOCKED) if (inCidr(ip, c.range) && (!found || c.range.prefix > found.range.prefix)) found = c;
  if (!found && ip.family === 6 && !inCidr(ip, IPV6_GLOBAL_UNICAST)) {
    return { range: IPV6_GLOBAL_UNICAST, label: 'a reserved IPv6 address (outside 2000::/3 global unicast)' };
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// The allow-list

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

function badEntry(entry: string, why: string): HeraldError {
  const message = `${ALLOWED_TARGETS_VARIABLE} entry "${entry}" ${why}`;
  return new HeraldError('HERALD_CONFIG_INVALID', message, { errors: [{ field: ALLOWED_TARGETS_VARIABLE, message }] });
}

function parseHostname(entry: string, raw: string): string {
  const name = entry.endsWith('.') ? entry.slice(0, -1) : entry;
  if (name.length === 0 || name.length > 253) throw badEntry(raw, 'is not a valid hostname');
  const labels = name.split('.');
  for (const l of labels) if (!LABEL.test(l)) throw badEntry(raw, `is not a valid hostname (bad label "${l}")`);
  // A name whose last label is a number is an IPv4 address to URL parsers (`127.1`, `2130706433`, `0x7f.1`),
  // so as a hostname entry it would never match.
  if (/^(\d+|0x[0-9a-f]*)$/.test(labels.at(-1)!)) {
    throw badEntry(raw, 'looks like an IPv4 address in a shortened or numeric form; write it as a dotted quad (e.g. 127.0.0.1) or a CIDR');
  }
  return name;
}

/**
 * Parses HERALD_ALLOWED_TARGETS: comma-separated CIDRs (`10.0.0.0/8`, `fd00::/8`), single
 * addresses (`127.0.0.1`, `::1`), hostnames (`receiver.internal`) and hostname wildcards
 * (`*.internal`, any name ending in `.internal`). Empty entries are ignored. Throws a
 * HERALD_CONFIG_INVALID HeraldError naming the first bad entry.
 */
export function parseAllowedTargets(text: string | undefined): AllowedTargets {
  const out: AllowedTargets = { cidrs: [], hostnames: [], hostnameSuffixes: [] };
  for (const raw of (text ?? '').split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (/^[a-z][a-z0-9+.-]*:\/\//.test(entry)) throw badEntry(raw.trim(), 'is a URL; write only the host, an IP address or a CIDR (e.g. receiver.internal or 10.0.0.0/8)');
    if (entry.includes('/')) {
      const [addr, prefix, ...rest] = entry.split('/') as [string, string, ...string[]];
      const ip = parseIp(addr);
      if (!ip || rest.length > 0) throw badEntry(raw.trim(), 'is not a valid CIDR (expected e.g. 10.0.0.0/8 or fd00::/8)');
      const max = ip.family === 4 ? 32 : 128;
      if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) throw badEntry(raw.trim(), `has an invalid prefix length (must be 0 to ${max})`);
      const range: Cidr = { family: ip.family, bytes: ip.bytes, prefix: Number(prefix), text: entry };
      const network = ip.bytes.map((b, i) => {
        const bits = Math.max(0, Math.min(8, range.prefix - i * 8));
        return b & ((0xff << (8 - bits)) & 0xff);
      });
      if (network.some((b, i) => b !== ip.bytes[i])) {
        throw badEntry(raw.trim(), `has host bits set; did you mean ${formatIp({ family: ip.family, bytes: network })}/${range.prefix}?`);
      }
      out.cidrs.push(normaliseMappedCidr(range));
      continue;
    }
    const ip = parseIp(entry);
    if (ip) {
      out.cidrs.push(normaliseMappedCidr({ family: ip.family, bytes: ip.bytes, prefix: ip.family === 4 ? 32 : 128, text: entry }));
      continue;
    }
    if (entry.includes(':')) throw badEntry(raw.trim(), 'is neither an IP address nor a hostname (ports are not part of an entry)');
    if (entry.startsWith('*.')) {
      out.hostnameSuffixes.push(`.${parseHostname(entry.slice(2), raw.trim())}`);
      continue;
    }
    if (entry.includes('*')) throw badEntry(raw.trim(), 'may use a wildcard only as its first label (e.g. *.internal)');
    out.hostnames.push(parseHostname(entry, raw.trim()));
  }
  return out;
}

/** `::ffff:10.0.0.0/104` allows what `10.0.0.0/8` allows, since mapped addresses are judged as IPv4. */
function normaliseMappedCidr(c: Cidr): Cidr {
  if (c.family === 6 && c.prefix >= 96 && inCidr({ family: 6, bytes: c.bytes }, IPV4_MAPPED)) {
    return { family: 4, bytes: c.bytes.slice(12), prefix: c.prefix - 96, text: c.text };
  }
  return c;
}

function normaliseHostname(host: string): string {
  const h = host.toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

// ---------------------------------------------------------------------------------------
// The guard

const defaultLookup: LookupAll = (hostname, options) => dnsLookup(hostname, options);

/** When refused: `shown` is the address as written (with its IPv4 form if mapped), `description` its class. */
type AddressVerdict = { ok: true; ip: Ip } | { ok: false; shown: string; description: string };

/**
 * Decides whether a URL or host may be connected to. Create one per process from the
 * operator's allow-list and give it to `HttpSender` as `guard`.
 */
export class TargetGuard {
  readonly #allowed: AllowedTargets;
  readonly #lookup: LookupAll;

  constructor(options: TargetGuardOptions = {}) {
    const a = options.allowedTargets;
    this.#allowed = typeof a === 'string' || a === undefined ? parseAllowedTargets(a) : a;
    this.#lookup = options.lookup ?? defaultLookup;
  }

  /** A guard from the environment's HERALD_ALLOWED_TARGETS. */
  static fromEnv(env: Record<string, string | undefined> = process.env, lookup?: LookupAll): TargetGuard {
    return new TargetGuard({ allowedTargets: env[ALLOWED_TARGETS_VARIABLE], ...(lookup ? { lookup } : {}) });
  }

  /** The scheme check alone (no DNS): undefined when fine, else the reason. */
  schemeProblem(url: URL): string | undefined {
    if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
    return `the scheme "${url.protocol.slice(0, -1)}" is not allowed; webhook targets must be http or https`;
  }

  /** Decides for a URL: its scheme, then its host (see `checkHost`). DNS failures are thrown. */
  async check(url: string | URL): Promise<TargetDecision> {
    let u: URL;
    try {
      u = typeof url === 'string' ? new URL(url) : url;
    } catch {
      return { allowed: false, reason: `"${String(url)}" is not a valid URL` };
    }
    const problem = this.schemeProblem(u);
    if (problem) return { allowed: false, reason: problem };
    return this.checkHost(u.hostname);
  }

  /**
   * Decides for a host as a URL parser leaves it (`example.com`, `127.0.0.1`, `[::1]`). A
   * literal address is checked as is; a name is resolved and every address it resolves to
   * is checked (one bad address refuses the whole name), unless the name is allow-listed.
   * The decision carries the address to connect to. Resolver errors are thrown unchanged.
   */
  async checkHost(host: string): Promise<TargetDecision> {
    const literal = parseIp(host);
    if (literal) {
      const v = this.#judge(literal, host.startsWith('[') ? host.slice(1, -1) : host);
      return v.ok ? decision(v.ip) : { allowed: false, reason: `${v.shown} is ${v.description} (not in ${ALLOWED_TARGETS_VARIABLE})` };
    }
    const name = normaliseHostname(host);
    const results = await this.#lookup(host, { all: true });
    const parsed = results.map((r) => ({ text: r.address, ip: parseIp(r.address) }));
    if (parsed.length === 0) throw Object.assign(new Error(`${host} did not resolve to any address`), { code: 'ENOTFOUND' });
    if (this.#hostAllowed(name)) {
      const first = parsed.find((p) => p.ip !== undefined);
      if (!first) return { allowed: false, reason: `${host} resolves to ${parsed[0]!.text}, which is not an IP address` };
      return decision(unmap(first.ip!));
    }
    let chosen: Ip | undefined;
    for (const p of parsed) {
      if (!p.ip) return { allowed: false, reason: `${host} resolves to ${p.text}, which is not an IP address` };
      const v = this.#judge(p.ip, p.text);
      if (!v.ok) return { allowed: false, reason: `${host} resolves to ${v.shown}, ${v.description} (not in ${ALLOWED_TARGETS_VARIABLE})` };
      chosen ??= v.ip;
    }
    return decision(chosen!);
  }

  #hostAllowed(name: string): boolean {
    return this.#allowed.hostnames.includes(name) || this.#allowed.hostnameSuffixes.some((s) => name.endsWith(s));
  }

  #ipAllowed(ip: Ip): boolean {
    return this.#allowed.cidrs.some((c) => inCidr(ip, c));
  }

  #judge(original: Ip, text: string): AddressVerdict {
    const ip = unmap(original);
    const shown = ip === original ? text : `${text} (IPv4-mapped ${formatIp(ip)})`;
    if (this.#ipAllowed(ip)) return { ok: true, ip };
    const cls = classify(ip);
    if (!cls) return { ok: true, ip };
    if (cls.embedded) {
      const inner = cls.embedded(ip);
      const innerCls = classify(inner);
      if (!innerCls) return { ok: true, ip };
      return { ok: false, shown, description: `${cls.label} embedding ${formatIp(inner)}, which is ${innerCls.label}` };
    }
    return { ok: false, shown, description: cls.label };
  }
}

function decision(ip: Ip): TargetDecision {
  return { allowed: true, address: formatIp(ip), family: ip.family };
}
