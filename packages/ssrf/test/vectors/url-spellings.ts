import type { UrlCheckCode } from '@palisade/ssrf';

/**
 * URL vectors for the policy. Sources: the reference contract's
 * "POST /webhooks (SSRF)" rule (shared/reference/README.md), the issue's
 * list of spellings, OWASP's SSRF prevention cheat sheet (metadata
 * endpoints, alternative IP encodings), and RFC 6761 / RFC 6890 for the
 * special-purpose names and ranges. Host names ending in `.example` are
 * answered by `VECTOR_DNS` below, never by real DNS.
 */
export interface RefusedUrl {
  readonly title: string;
  readonly url: string;
  readonly code: UrlCheckCode;
}

export interface AcceptedUrl {
  readonly title: string;
  readonly url: string;
  /** The normalised URL the check returns. */
  readonly href: string;
  readonly addresses: readonly string[];
}

/** What the test resolver answers. A missing name is NXDOMAIN. */
export const VECTOR_DNS: Readonly<Record<string, readonly string[]>> = {
  'public.example': ['93.184.215.14'],
  'public6.example': ['2606:4700:4700::1111', '93.184.215.14'],
  'loopback.example': ['127.0.0.1'],
  'metadata.example': ['169.254.169.254'],
  'mixed.example': ['93.184.215.14', '10.0.0.7'],
  'mixed6.example': ['2606:4700:4700::1111', 'fd00::1'],
  'mapped.example': ['::ffff:127.0.0.1'],
  'ula.example': ['fd00:ec2::254'],
  'empty.example': [],
};

const ADDRESS: UrlCheckCode = 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED';
const INVALID: UrlCheckCode = 'ERR_PALISADE_SSRF_INVALID_URL';
const SCHEME: UrlCheckCode = 'ERR_PALISADE_SSRF_SCHEME_NOT_ALLOWED';
const USERINFO: UrlCheckCode = 'ERR_PALISADE_SSRF_USERINFO';
const HOST: UrlCheckCode = 'ERR_PALISADE_SSRF_HOST_NOT_ALLOWED';
const PORT: UrlCheckCode = 'ERR_PALISADE_SSRF_PORT_NOT_ALLOWED';
const UNRESOLVABLE: UrlCheckCode = 'ERR_PALISADE_SSRF_UNRESOLVABLE';

/** Refused by the default policy (`schemes: ['https']`). */
export const REFUSED_URLS: readonly RefusedUrl[] = [
  // Loopback, every IPv4 spelling (reference: "decimal, hex, octal or short IPv4 forms").
  { title: 'loopback, dotted', url: 'https://127.0.0.1/hook', code: ADDRESS },
  { title: 'loopback, one decimal number', url: 'https://2130706433/hook', code: ADDRESS },
  { title: 'loopback, one hex number', url: 'https://0x7f000001/hook', code: ADDRESS },
  { title: 'loopback, one octal number', url: 'https://017700000001/', code: ADDRESS },
  { title: 'loopback, octal first part', url: 'https://0177.0.0.1/', code: ADDRESS },
  { title: 'loopback, short form a.d', url: 'https://127.1/', code: ADDRESS },
  { title: 'loopback, short form a.b.d', url: 'https://127.0.1/', code: ADDRESS },
  { title: 'loopback, hex short form', url: 'https://0x7f.1/', code: ADDRESS },
  { title: 'loopback, dotted hex', url: 'https://0x7f.0x0.0x0.0x1/', code: ADDRESS },
  { title: 'loopback, zero-padded parts', url: 'https://127.000.000.001/', code: ADDRESS },
  { title: 'loopback, percent-encoded host', url: 'https://%31%32%37.0.0.1/', code: ADDRESS },
  { title: 'loopback, full-width digits', url: 'https://１２７.０.０.１/', code: ADDRESS },
  { title: 'loopback, trailing dot and explicit port', url: 'https://127.0.0.1.:443/', code: ADDRESS },
  { title: 'loopback, another address of 127/8', url: 'https://127.255.255.254/', code: ADDRESS },
  // Unspecified: 0.0.0.0 reaches the local host on Linux.
  { title: 'unspecified, dotted', url: 'https://0.0.0.0/', code: ADDRESS },
  { title: 'unspecified, "0"', url: 'https://0/', code: ADDRESS },
  { title: 'unspecified, "0x0"', url: 'https://0x0/', code: ADDRESS },
  // Cloud metadata (OWASP SSRF cheat sheet).
  { title: 'metadata, dotted', url: 'https://169.254.169.254/latest/meta-data/', code: ADDRESS },
  { title: 'metadata, decimal', url: 'https://2852039166/latest/meta-data/', code: ADDRESS },
  { title: 'metadata, hex', url: 'https://0xa9fea9fe/', code: ADDRESS },
  { title: 'metadata, dotted octal', url: 'https://0251.0376.0251.0376/', code: ADDRESS },
  { title: 'metadata, short form a.b.d', url: 'https://169.254.43518/', code: ADDRESS },
  { title: 'metadata, IPv4-mapped IPv6', url: 'https://[::ffff:169.254.169.254]/', code: ADDRESS },
  { title: 'metadata, NAT64', url: 'https://[64:ff9b::a9fe:a9fe]/', code: ADDRESS },
  { title: 'metadata, AWS IPv6 endpoint (unique local)', url: 'https://[fd00:ec2::254]/', code: ADDRESS },
  { title: 'metadata, Alibaba (carrier-grade NAT range)', url: 'https://100.100.100.200/', code: ADDRESS },
  // RFC 1918 and RFC 6598.
  { title: 'private 10/8', url: 'https://10.0.0.1/', code: ADDRESS },
  { title: 'private 10/8, decimal', url: 'https://167772161/', code: ADDRESS },
  { title: 'private 172.16/12, low end', url: 'https://172.16.0.1/', code: ADDRESS },
  { title: 'private 172.16/12, high end', url: 'https://172.31.255.255/', code: ADDRESS },
  { title: 'private 192.168/16', url: 'https://192.168.1.1/', code: ADDRESS },
  { title: 'private 192.168/16, hex', url: 'https://0xc0a80101/', code: ADDRESS },
  { title: 'carrier-grade NAT 100.64/10', url: 'https://100.64.0.1/', code: ADDRESS },
  // Multicast, broadcast, reserved (RFC 6890).
  { title: 'multicast 224.0.0.1', url: 'https://224.0.0.1/', code: ADDRESS },
  { title: 'multicast SSDP', url: 'https://239.255.255.250/', code: ADDRESS },
  { title: 'broadcast', url: 'https://255.255.255.255/', code: ADDRESS },
  { title: 'broadcast, hex', url: 'https://0xffffffff/', code: ADDRESS },
  { title: 'reserved 240/4', url: 'https://240.0.0.1/', code: ADDRESS },
  { title: 'documentation TEST-NET-1', url: 'https://192.0.2.1/', code: ADDRESS },
  { title: 'benchmarking 198.18/15', url: 'https://198.18.0.1/', code: ADDRESS },
  // IPv6 (reference: "IPv6 brackets", "IPv4-mapped IPv6 of those").
  { title: 'IPv6 loopback', url: 'https://[::1]/', code: ADDRESS },
  { title: 'IPv6 loopback, uncompressed', url: 'https://[0:0:0:0:0:0:0:1]/', code: ADDRESS },
  { title: 'IPv6 unspecified', url: 'https://[::]/', code: ADDRESS },
  { title: 'IPv4-mapped loopback, dotted', url: 'https://[::ffff:127.0.0.1]/', code: ADDRESS },
  { title: 'IPv4-mapped loopback, hex', url: 'https://[::ffff:7f00:1]/', code: ADDRESS },
  { title: 'IPv4-mapped loopback, uncompressed', url: 'https://[0:0:0:0:0:ffff:127.0.0.1]/', code: ADDRESS },
  { title: 'IPv4-mapped private', url: 'https://[::ffff:10.0.0.1]/', code: ADDRESS },
  { title: 'IPv4-compatible loopback (deprecated ::/96)', url: 'https://[::127.0.0.1]/', code: ADDRESS },
  { title: 'IPv4-translated loopback (RFC 6145)', url: 'https://[::ffff:0:7f00:1]/', code: ADDRESS },
  { title: 'NAT64 of loopback', url: 'https://[64:ff9b::127.0.0.1]/', code: ADDRESS },
  { title: '6to4 of loopback', url: 'https://[2002:7f00:1::]/', code: ADDRESS },
  { title: 'Teredo', url: 'https://[2001::1]/', code: ADDRESS },
  { title: 'IPv6 documentation', url: 'https://[2001:db8::1]/', code: ADDRESS },
  { title: 'IPv6 link-local', url: 'https://[fe80::1]/', code: ADDRESS },
  { title: 'IPv6 link-local with a zone id (WHATWG refuses zones)', url: 'https://[fe80::1%25eth0]/', code: INVALID },
  { title: 'IPv6 unique local fc00::/7, fc', url: 'https://[fc00::1]/', code: ADDRESS },
  { title: 'IPv6 unique local fc00::/7, fd', url: 'https://[fd00::1]/', code: ADDRESS },
  { title: 'IPv6 multicast', url: 'https://[ff02::1]/', code: ADDRESS },
  // Names.
  { title: 'localhost (RFC 6761)', url: 'https://localhost/', code: HOST },
  { title: 'localhost, upper case', url: 'https://LOCALHOST/', code: HOST },
  { title: 'localhost, trailing dot', url: 'https://localhost./', code: HOST },
  { title: 'a name under .localhost', url: 'https://api.localhost/', code: HOST },
  { title: 'localhost spelled with a circled letter (IDNA maps it)', url: 'https://ⓛocalhost/', code: HOST },
  { title: 'a name that resolves to loopback', url: 'https://loopback.example/hook', code: ADDRESS },
  { title: 'a name that resolves to the metadata address', url: 'https://metadata.example/', code: ADDRESS },
  { title: 'a name with one public and one private address', url: 'https://mixed.example/', code: ADDRESS },
  { title: 'a name with one public and one unique-local IPv6 address', url: 'https://mixed6.example/', code: ADDRESS },
  { title: 'a name that resolves to IPv4-mapped loopback', url: 'https://mapped.example/', code: ADDRESS },
  { title: 'a name that resolves to a unique-local address', url: 'https://ula.example/', code: ADDRESS },
  { title: 'a name that does not exist (NXDOMAIN)', url: 'https://nxdomain.example/', code: UNRESOLVABLE },
  { title: 'a name without addresses', url: 'https://empty.example/', code: UNRESOLVABLE },
  // Schemes (reference: "the URL must be https").
  { title: 'http when only https is allowed', url: 'http://93.184.215.14/hook', code: SCHEME },
  { title: 'HTTP in upper case', url: 'HTTP://93.184.215.14/hook', code: SCHEME },
  { title: 'file', url: 'file:///etc/passwd', code: SCHEME },
  { title: 'gopher (Redis smuggling)', url: 'gopher://127.0.0.1:6379/_INFO', code: SCHEME },
  { title: 'ftp', url: 'ftp://93.184.215.14/', code: SCHEME },
  { title: 'dict', url: 'dict://127.0.0.1:11211/stats', code: SCHEME },
  { title: 'javascript', url: 'javascript:alert(1)', code: SCHEME },
  { title: 'data', url: 'data:text/plain,hi', code: SCHEME },
  // User information (reference: "carry no user information").
  { title: 'user and password', url: 'https://user:pass@93.184.215.14/', code: USERINFO },
  { title: 'a host name as user name before a loopback host', url: 'https://evil.example@127.0.0.1/', code: USERINFO },
  { title: 'a public address as user name before a loopback host', url: 'https://93.184.215.14@127.0.0.1/', code: USERINFO },
  { title: 'empty user information', url: 'https://@93.184.215.14/', code: USERINFO },
  { title: 'empty user and password', url: 'https://:@93.184.215.14/', code: USERINFO },
  { title: '@ in the fragment: the host is still loopback', url: 'https://127.0.0.1#@evil.example', code: ADDRESS },
  { title: '@ in the query: the host is still loopback', url: 'https://127.0.0.1?@evil.example', code: ADDRESS },
  // Ports (Fetch standard port blocking; port 0).
  { title: 'SMTP port', url: 'https://93.184.215.14:25/', code: PORT },
  { title: 'SSH port', url: 'https://93.184.215.14:22/', code: PORT },
  { title: 'port 0', url: 'https://93.184.215.14:0/', code: PORT },
  // Garbage and parser differentials.
  { title: 'empty string', url: '', code: INVALID },
  { title: 'not a URL', url: 'not a url', code: INVALID },
  { title: 'scheme only', url: 'https://', code: INVALID },
  { title: 'three slashes (WHATWG would find a host)', url: 'https:///93.184.215.14/', code: INVALID },
  { title: 'no slashes (WHATWG would find a host)', url: 'https:93.184.215.14/', code: INVALID },
  { title: 'backslashes (WHATWG reads them as slashes)', url: 'https:\\\\127.0.0.1/', code: INVALID },
  { title: 'backslash before @ (parser differential)', url: 'https://evil.example\\@127.0.0.1/', code: INVALID },
  { title: 'leading space', url: ' https://93.184.215.14/', code: INVALID },
  { title: 'trailing newline', url: 'https://93.184.215.14/\n', code: INVALID },
  { title: 'tab inside the host (WHATWG drops it)', url: 'https://exa\tmple.com/', code: INVALID },
  { title: 'overlong', url: `https://${'a'.repeat(3000)}.example/`, code: INVALID },
  { title: 'empty label', url: 'https://a..b.example/', code: INVALID },
  { title: 'unbalanced bracket', url: 'https://[::1/', code: INVALID },
  { title: 'five-part IPv4', url: 'https://1.2.3.4.5/', code: INVALID },
  { title: 'IPv4 number above 2^32-1', url: 'https://4294967296/', code: INVALID },
];

/** Accepted by the default policy. Literals are checked without DNS. */
export const ACCEPTED_URLS: readonly AcceptedUrl[] = [
  { title: 'the reference contract\'s public literal', url: 'https://93.184.215.14/hook', href: 'https://93.184.215.14/hook', addresses: ['93.184.215.14'] },
  { title: 'a public DNS resolver literal', url: 'https://8.8.8.8/', href: 'https://8.8.8.8/', addresses: ['8.8.8.8'] },
  { title: 'a public IPv6 literal', url: 'https://[2606:4700:4700::1111]/', href: 'https://[2606:4700:4700::1111]/', addresses: ['2606:4700:4700::1111'] },
  { title: 'a public literal in decimal', url: 'https://1572394766/hook', href: 'https://93.184.215.14/hook', addresses: ['93.184.215.14'] },
  { title: 'a public literal in dotted octal', url: 'https://0135.0270.0327.016/', href: 'https://93.184.215.14/', addresses: ['93.184.215.14'] },
  { title: 'a public literal, IPv4-mapped', url: 'https://[::ffff:5db8:d70e]/', href: 'https://[::ffff:5db8:d70e]/', addresses: ['93.184.215.14'] },
  { title: 'a public literal through NAT64', url: 'https://[64:ff9b::8.8.8.8]/', href: 'https://[64:ff9b::808:808]/', addresses: ['64:ff9b::808:808'] },
  { title: 'a public name', url: 'https://public.example/hooks/orders?x=1', href: 'https://public.example/hooks/orders?x=1', addresses: ['93.184.215.14'] },
  { title: 'a public name with IPv6 and IPv4', url: 'https://public6.example/', href: 'https://public6.example/', addresses: ['2606:4700:4700::1111', '93.184.215.14'] },
  { title: 'a public name, upper case with a trailing dot', url: 'https://PUBLIC.example./hook', href: 'https://public.example/hook', addresses: ['93.184.215.14'] },
  { title: 'a non-default port', url: 'https://public.example:8443/', href: 'https://public.example:8443/', addresses: ['93.184.215.14'] },
  { title: '@ in the fragment of a public URL', url: 'https://public.example/#@127.0.0.1', href: 'https://public.example/#@127.0.0.1', addresses: ['93.184.215.14'] },
];
