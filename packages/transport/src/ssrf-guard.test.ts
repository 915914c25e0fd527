import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HeraldError } from '@herald/core';
import { parseAllowedTargets, TargetGuard, type LookupAll, type TargetDecision } from './ssrf-guard.ts';

// These tests check the guard's decisions only: nothing here opens a socket. Public
// addresses appear only as the output of a fake resolver or as literals to decide on.

const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

/** A fake resolver over a fixed table; counts its calls. Unknown names fail like getaddrinfo. */
function fakeResolver(table: Record<string, string[]>): LookupAll & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (hostname: string) => {
    calls.push(hostname);
    const answer = table[hostname];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer.map((address) => ({ address, family: isIP(address) }));
  };
  return Object.assign(fn, { calls });
}

const names = fakeResolver({
  'public.test': [PUBLIC_V4],
  'public6.test': [PUBLIC_V6],
  'dual.test': [PUBLIC_V6, PUBLIC_V4],
  'mixed.test': [PUBLIC_V4, '10.0.0.5'],
  'mixed-reversed.test': ['192.168.1.20', PUBLIC_V4],
  'mixed6.test': [PUBLIC_V6, 'fd00::5'],
  'localhost.test': ['127.0.0.1'],
  'localhost': ['::1', '127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'nat64.test': ['64:ff9b::a9fe:a9fe'],
  'receiver.internal': ['10.0.0.7'],
  'a.b.internal': ['10.0.0.8'],
  'internal': ['10.0.0.9'],
  'empty.test': [],
});

function refused(d: TargetDecision): string {
  if (d.allowed) throw new Error(`expected a refusal, got ${JSON.stringify(d)}`);
  return d.reason;
}

describe('TargetGuard with no allow-list: literal addresses', () => {
  const guard = new TargetGuard({ lookup: names });

  // [url, the address the reason names, the class it names]
  const blocked: [string, string, RegExp][] = [
    ['http://127.0.0.1/', '127.0.0.1', /a loopback address/],
    ['http://127.0.0.2:8080/hook', '127.0.0.2', /a loopback address/],
    ['http://127.255.255.254/', '127.255.255.254', /a loopback address/],
    // Numeric forms: the WHATWG URL parser turns them into 127.0.0.1 before the guard sees them.
    ['http://2130706433/', '127.0.0.1', /a loopback address/],
    ['http://0x7f.0.0.1/', '127.0.0.1', /a loopback address/],
    ['http://0x7f000001/', '127.0.0.1', /a loopback address/],
    ['http://017700000001/', '127.0.0.1', /a loopback address/],
    ['http://0177.0.0.1/', '127.0.0.1', /a loopback address/],
    ['http://127.1/', '127.0.0.1', /a loopback address/],
    ['http://0/', '0.0.0.0', /the unspecified address/],
    ['http://0.1.2.3/', '0.1.2.3', /"this network" address/],
    ['http://10.1.2.3/', '10.1.2.3', /a private address \(10\.0\.0\.0\/8\)/],
    ['http://172.16.0.1/', '172.16.0.1', /a private address \(172\.16\.0\.0\/12\)/],
    ['http://172.31.255.255/', '172.31.255.255', /a private address \(172\.16\.0\.0\/12\)/],
    ['http://192.168.1.1/', '192.168.1.1', /a private address \(192\.168\.0\.0\/16\)/],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', /cloud metadata address/],
    ['http://169.254.1.1/', '169.254.1.1', /a link-local address/],
    ['http://100.64.0.1/', '100.64.0.1', /carrier-grade NAT/],
    ['http://100.127.255.255/', '100.127.255.255', /carrier-grade NAT/],
    ['http://224.0.0.1/', '224.0.0.1', /a multicast address/],
    ['http://239.255.255.250/', '239.255.255.250', /a multicast address/],
    ['http://240.0.0.1/', '240.0.0.1', /a reserved address/],
    ['http://255.255.255.255/', '255.255.255.255', /the broadcast address/],
    ['http://198.18.0.1/', '198.18.0.1', /a benchmarking address/],
    ['http://198.19.255.255/', '198.19.255.255', /a benchmarking address/],
    ['http://192.0.2.1/', '192.0.2.1', /a documentation address/],
    ['http://198.51.100.1/', '198.51.100.1', /a documentation address/],
    ['http://203.0.113.1/', '203.0.113.1', /a documentation address/],
    ['http://192.0.0.8/', '192.0.0.8', /IETF protocol assignment/],
    ['http://168.63.129.16/', '168.63.129.16', /Azure platform/],
    // IPv6
    ['http://[::1]/', '::1', /a loopback address/],
    ['http://[0:0:0:0:0:0:0:1]:8080/', '::1', /a loopback address/],
    ['http://[::]/', '::', /the unspecified address/],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 (IPv4-mapped 127.0.0.1)', /a loopback address/],
    ['http://[::ffff:7f00:1]/', '::ffff:7f00:1 (IPv4-mapped 127.0.0.1)', /a loopback address/],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe (IPv4-mapped 169.254.169.254)', /cloud metadata address/],
    ['http://[::ffff:10.0.0.1]/', '::ffff:a00:1 (IPv4-mapped 10.0.0.1)', /a private address/],
    ['http://[::127.0.0.1]/', '::7f00:1', /IPv4-compatible/],
    ['http://[64:ff9b::7f00:1]/', '64:ff9b::7f00:1', /NAT64 address .* embedding 127\.0\.0\.1, which is a loopback address/],
    ['http://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe', /NAT64 address .* embedding 169\.254\.169\.254, which is the cloud metadata address/],
    ['http://[64:ff9b:1::a00:1]/', '64:ff9b:1::a00:1', /local-use NAT64/],
    ['http://[2002:7f00:1::]/', '2002:7f00:1::', /6to4 address .* embedding 127\.0\.0\.1, which is a loopback address/],
    ['http://[2002:c0a8:101::1]/', '2002:c0a8:101::1', /6to4 address .* embedding 192\.168\.1\.1, which is a private address/],
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', '2001:0:4136:e378:8000:63bf:3fff:fdd2', /a Teredo address/],
    ['http://[2001:1ff::1]/', '2001:1ff::1', /IETF protocol assignment address \(2001::\/23\)/],
    ['http://[2001:2::1]/', '2001:2::1', /a benchmarking address/],
    ['http://[2001:db8::1]/', '2001:db8::1', /a documentation address/],
    ['http://[100::1]/', '100::1', /discard-only/],
    ['http://[fc00::1]/', 'fc00::1', /a unique local address/],
    ['http://[fd12:3456::1]/', 'fd12:3456::1', /a unique local address/],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254', /the AWS metadata address/],
    ['http://[fe80::1]/', 'fe80::1', /a link-local address/],
    ['http://[febf:ffff::1]/', 'febf:ffff::1', /a link-local address/],
    ['http://[fec0::1]/', 'fec0::1', /site-local/],
    ['http://[ff02::1]/', 'ff02::1', /a multicast address/],
    ['http://[4000::1]/', '4000::1', /reserved IPv6 address/],
  ];

  it.each(blocked)('refuses %s', async (url, address, cls) => {
    const reason = refused(await guard.check(url));
    expect(reason.startsWith(`${address} is `)).toBe(true);
    expect(reason).toMatch(cls);
    expect(reason).toMatch(/\(not in HERALD_ALLOWED_TARGETS\)$/);
  });

  // [url, the address to connect to, family]
  const allowed: [string, string, 4 | 6][] = [
    [`http://${PUBLIC_V4}/`, PUBLIC_V4, 4],
    [`https://${PUBLIC_V4}:8443/x`, PUBLIC_V4, 4],
    [`http://[${PUBLIC_V6}]/`, PUBLIC_V6, 6],
    ['http://1.1.1.1/', '1.1.1.1', 4],
    // Just outside the blocked ranges.
    ['http://172.32.0.1/', '172.32.0.1', 4],
    ['http://100.128.0.1/', '100.128.0.1', 4],
    ['http://198.20.0.1/', '198.20.0.1', 4],
    ['http://11.0.0.1/', '11.0.0.1', 4],
    ['http://223.255.255.254/', '223.255.255.254', 4],
    ['http://[2001:200::1]/', '2001:200::1', 6],
    ['http://[2001:4860:4860::8888]/', '2001:4860:4860::8888', 6],
    // Embedded public IPv4 addresses: judged by the embedded address.
    [`http://[::ffff:${PUBLIC_V4}]/`, PUBLIC_V4, 4],
    ['http://[64:ff9b::5db8:d70e]/', '64:ff9b::5db8:d70e', 6],
    ['http://[2002:5db8:d70e::1]/', '2002:5db8:d70e::1', 6],
  ];

  it.each(allowed)('allows %s, to connect to %s', async (url, address, family) => {
    expect(await guard.check(url)).toEqual({ allowed: true, address, family });
  });

  it('never resolves a literal address', async () => {
    const lookup = fakeResolver({});
    const g = new TargetGuard({ lookup });
    for (const [url] of [...blocked, ...allowed]) await g.check(url);
    expect(lookup.calls).toEqual([]);
  });
});

describe('TargetGuard with no allow-list: hostnames', () => {
  const guard = new TargetGuard({ lookup: names });

  it('allows a name that resolves to public addresses, to the first address resolved', async () => {
    expect(await guard.check('https://public.test/hook')).toEqual({ allowed: true, address: PUBLIC_V4, family: 4 });
    expect(await guard.check('https://public6.test/hook')).toEqual({ allowed: true, address: PUBLIC_V6, family: 6 });
    expect(await guard.check('https://dual.test/hook')).toEqual({ allowed: true, address: PUBLIC_V6, family: 6 });
  });

  it('refuses a name when any address it resolves to is private, whatever the order', async () => {
    expect(refused(await guard.check('https://mixed.test/'))).toBe(
      'mixed.test resolves to 10.0.0.5, a private address (10.0.0.0/8) (not in HERALD_ALLOWED_TARGETS)',
    );
    expect(refused(await guard.check('https://mixed-reversed.test/'))).toMatch(/^mixed-reversed\.test resolves to 192\.168\.1\.20, a private address/);
    expect(refused(await guard.check('https://mixed6.test/'))).toMatch(/^mixed6\.test resolves to fd00::5, a unique local address/);
  });

  it('refuses names that resolve to loopback, metadata, IPv4-mapped and NAT64-embedded addresses', async () => {
    expect(refused(await guard.check('http://localhost.test:8080/'))).toBe(
      'localhost.test resolves to 127.0.0.1, a loopback address (not in HERALD_ALLOWED_TARGETS)',
    );
    expect(refused(await guard.check('http://localhost/'))).toMatch(/^localhost resolves to ::1, a loopback address/);
    expect(refused(await guard.check('http://metadata.test/'))).toMatch(/169\.254\.169\.254, the cloud metadata address/);
    expect(refused(await guard.check('http://mapped.test/'))).toMatch(/::ffff:127\.0\.0\.1 \(IPv4-mapped 127\.0\.0\.1\), a loopback address/);
    expect(refused(await guard.check('http://nat64.test/'))).toMatch(/embedding 169\.254\.169\.254, which is the cloud metadata address/);
  });

  it('passes resolver failures through, and treats an empty answer as not found', async () => {
    await expect(guard.check('http://nowhere.test/')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(guard.check('http://empty.test/')).rejects.toMatchObject({ code: 'ENOTFOUND', message: 'empty.test did not resolve to any address' });
  });
});

describe('TargetGuard schemes', () => {
  const guard = new TargetGuard({ lookup: names, allowedTargets: '0.0.0.0/0,::/0' });

  it.each(['ftp://public.test/', 'file:///etc/passwd', 'gopher://127.0.0.1:70/', 'ws://public.test/', 'javascript:alert(1)', 'data:text/plain,hi'])(
    'refuses %s whatever the allow-list says',
    async (url) => {
      expect(refused(await guard.check(url))).toMatch(/^the scheme "[a-z]+" is not allowed; webhook targets must be http or https$/);
    },
  );

  it('refuses something that is not a URL', async () => {
    expect(refused(await guard.check('public.test/hook'))).toBe('"public.test/hook" is not a valid URL');
  });
});

describe('TargetGuard allow-list exceptions', () => {
  it('a CIDR entry allows the addresses inside it, and only those', async () => {
    const guard = new TargetGuard({ lookup: names, allowedTargets: '10.0.0.0/8, fd00::/8' });
    expect(await guard.check('http://10.200.1.1/')).toEqual({ allowed: true, address: '10.200.1.1', family: 4 });
    expect(await guard.check('http://receiver.internal/')).toEqual({ allowed: true, address: '10.0.0.7', family: 4 });
    expect(await guard.check('http://[fd12::1]/')).toEqual({ allowed: true, address: 'fd12::1', family: 6 });
    expect(refused(await guard.check('http://172.16.0.1/'))).toMatch(/^172\.16\.0\.1 is a private address/);
    expect(refused(await guard.check('http://[fc00::1]/'))).toMatch(/^fc00::1 is a unique local address/);
    expect(refused(await guard.check('http://127.0.0.1/'))).toMatch(/loopback/);
  });

  it('a single-address entry allows that address, also in its IPv4-mapped form', async () => {
    const guard = new TargetGuard({ lookup: names, allowedTargets: '127.0.0.1,::1' });
    expect(await guard.check('http://127.0.0.1:3000/')).toEqual({ allowed: true, address: '127.0.0.1', family: 4 });
    expect(await guard.check('http://[::1]:3000/')).toEqual({ allowed: true, address: '::1', family: 6 });
    expect(await guard.check('http://[::ffff:127.0.0.1]:3000/')).toEqual({ allowed: true, address: '127.0.0.1', family: 4 });
    expect(await guard.check('http://localhost.test/')).toEqual({ allowed: true, address: '127.0.0.1', family: 4 });
    expect(refused(await guard.check('http://127.0.0.2/'))).toBe('127.0.0.2 is a loopback address (not in HERALD_ALLOWED_TARGETS)');
    expect(refused(await guard.check('http://169.254.169.254/'))).toMatch(/cloud metadata/);
  });

  it('a hostname entry allows that name whatever it resolves to, case and trailing dot aside', async () => {
    const guard = new TargetGuard({ lookup: names, allowedTargets: 'Receiver.Internal.' });
    expect(await guard.check('http://receiver.internal/')).toEqual({ allowed: true, address: '10.0.0.7', family: 4 });
    expect(await guard.check('http://RECEIVER.internal/')).toEqual({ allowed: true, address: '10.0.0.7', family: 4 });
    // The name is allowed, not the address: another name for 10.0.0.x is still refused.
    expect(refused(await guard.check('http://a.b.internal/'))).toMatch(/^a\.b\.internal resolves to 10\.0\.0\.8, a private address/);
    expect(refused(await guard.check('http://10.0.0.7/'))).toMatch(/^10\.0\.0\.7 is a private address/);
  });

  it('a wildcard entry allows the names under it, not the bare suffix', async () => {
    const guard = new TargetGuard({ lookup: names, allowedTargets: '*.internal' });
    expect(await guard.check('http://receiver.internal/')).toEqual({ allowed: true, address: '10.0.0.7', family: 4 });
    expect(await guard.check('http://a.b.internal/')).toEqual({ allowed: true, address: '10.0.0.8', family: 4 });
    expect(refused(await guard.check('http://internal/'))).toMatch(/^internal resolves to 10\.0\.0\.9/);
  });

  it('reads HERALD_ALLOWED_TARGETS from the environment', async () => {
    const guard = TargetGuard.fromEnv({ HERALD_ALLOWED_TARGETS: '127.0.0.1/32,::1,receiver.internal' }, names);
    expect((await guard.check('http://receiver.internal/')).allowed).toBe(true);
    expect((await guard.check('http://127.0.0.1/')).allowed).toBe(true);
    expect((await guard.check('http://127.0.0.2/')).allowed).toBe(false);
    expect((await TargetGuard.fromEnv({}, names).check('http://127.0.0.1/')).allowed).toBe(false);
  });
});

describe('parseAllowedTargets', () => {
  it('reads CIDRs, single addresses, hostnames and wildcards, skipping blanks', () => {
    const t = parseAllowedTargets(' 127.0.0.1/32, ::1 ,, receiver.internal,*.svc.cluster.local, 10.0.0.0/8 ,');
    expect(t.cidrs.map((c) => `${c.text}|v${c.family}/${c.prefix}`)).toEqual(['127.0.0.1/32|v4/32', '::1|v6/128', '10.0.0.0/8|v4/8']);
    expect(t.hostnames).toEqual(['receiver.internal']);
    expect(t.hostnameSuffixes).toEqual(['.svc.cluster.local']);
    expect(parseAllowedTargets('')).toEqual({ cidrs: [], hostnames: [], hostnameSuffixes: [] });
    expect(parseAllowedTargets(undefined)).toEqual({ cidrs: [], hostnames: [], hostnameSuffixes: [] });
  });

  const bad: [string, string, RegExp][] = [
    ['127.0.0.1/32,10.0.0.0/33', '10.0.0.0/33', /invalid prefix length \(must be 0 to 32\)/],
    ['::1/129', '::1/129', /invalid prefix length \(must be 0 to 128\)/],
    ['10.0.0.0/x', '10.0.0.0/x', /invalid prefix length/],
    ['10.0.0.1/8', '10.0.0.1/8', /host bits set; did you mean 10\.0\.0\.0\/8\?/],
    ['fd00::1/8', 'fd00::1/8', /host bits set; did you mean fd00::\/8\?/],
    ['10.0.0.0/8/9', '10.0.0.0/8/9', /not a valid CIDR/],
    ['ab/cd', 'ab/cd', /not a valid CIDR/],
    ['300.1.1.1', '300.1.1.1', /IPv4 address in a shortened or numeric form/],
    ['2130706433', '2130706433', /IPv4 address in a shortened or numeric form/],
    ['127.1', '127.1', /IPv4 address in a shortened or numeric form/],
    ['http://receiver.internal', 'http://receiver.internal', /is a URL/],
    ['receiver.internal:8080', 'receiver.internal:8080', /ports are not part of an entry/],
    ['bad_host!', 'bad_host!', /not a valid hostname/],
    ['a..b', 'a..b', /not a valid hostname/],
    ['-bad.example', '-bad.example', /not a valid hostname/],
    ['foo.*.bar', 'foo.*.bar', /wildcard only as its first label/],
    ['*.', '*.', /not a valid hostname/],
  ];

  it.each(bad)('refuses %s, naming the entry %s', (text, entry, why) => {
    let err: unknown;
    try {
      parseAllowedTargets(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HeraldError);
    expect((err as HeraldError).code).toBe('HERALD_CONFIG_INVALID');
    expect((err as HeraldError).message).toMatch(why);
    expect((err as HeraldError).message.startsWith(`HERALD_ALLOWED_TARGETS entry "${entry}" `)).toBe(true);
    expect((err as HeraldError).errors[0]?.field).toBe('HERALD_ALLOWED_TARGETS');
  });

  it('the guard refuses to start on a bad allow-list', () => {
    expect(() => new TargetGuard({ allowedTargets: '10.0.0.0/40' })).toThrow(/HERALD_ALLOWED_TARGETS entry "10\.0\.0\.0\/40"/);
  });
});
