// Whether a set of EC2 ingress rules lets a TCP port in from given sources: security groups
// (referenced by id) or the IPv4 ranges the callers sit in.

export interface IpPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  UserIdGroupPairs?: { GroupId?: string }[];
  IpRanges?: { CidrIp?: string }[];
}

export interface Sources {
  /** Security groups the callers have. */
  groups: readonly string[];
  /** CIDR blocks of the subnets the callers run in. */
  subnets: readonly string[];
}

export function allowsPort(permissions: readonly IpPermission[], port: number, from: Sources): boolean {
  return permissions.some((permission) => {
    const coversPort = permission.IpProtocol === '-1' || (permission.IpProtocol === 'tcp' && (permission.FromPort ?? 0) <= port && port <= (permission.ToPort ?? 65535));
    if (!coversPort) return false;
    if ((permission.UserIdGroupPairs ?? []).some((pair) => pair.GroupId !== undefined && from.groups.includes(pair.GroupId))) return true;
    // A range lets the callers in only if it holds every subnet they may run in.
    const ranges = (permission.IpRanges ?? []).flatMap((range) => range.CidrIp ?? []);
    return from.subnets.length > 0 && from.subnets.every((subnet) => ranges.some((range) => cidrContains(range, subnet)));
  });
}

function parse(cidr: string): { base: number; bits: number } | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) return undefined;
  const [a, b, c, d, bits] = match.slice(1).map(Number) as [number, number, number, number, number];
  return { base: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, bits };
}

/** True when every address of `inner` is in `outer` (IPv4). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parse(outer);
  const i = parse(inner);
  if (!o || !i || i.bits < o.bits) return false;
  const mask = o.bits === 0 ? 0 : (~0 << (32 - o.bits)) >>> 0;
  return ((o.base & mask) >>> 0) === ((i.base & mask) >>> 0);
}
