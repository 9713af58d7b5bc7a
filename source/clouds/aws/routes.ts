// How a subnet reaches the internet, from its VPC's route tables: what decides whether Fargate
// tasks there can pull images from a registry outside AWS.

export interface Route {
  DestinationCidrBlock?: string;
  GatewayId?: string;
  NatGatewayId?: string;
  TransitGatewayId?: string;
  NetworkInterfaceId?: string;
  InstanceId?: string;
  State?: string;
}

export interface RouteTable {
  RouteTableId: string;
  Associations?: { Main?: boolean; SubnetId?: string }[];
  Routes?: Route[];
}

/** `public`: an internet gateway (tasks need a public IP); `private`: NAT or another hop; `isolated`: no default route. */
export type Egress = { kind: 'public' | 'private'; via: string } | { kind: 'isolated' };

/** A subnet without an explicit association uses its VPC's main route table. */
export function egressOf(subnetId: string, tables: readonly RouteTable[]): Egress {
  const explicit = tables.find((table) => table.Associations?.some((association) => association.SubnetId === subnetId));
  const table = explicit ?? tables.find((candidate) => candidate.Associations?.some((association) => association.Main));
  // A blackhole route (its NAT gateway deleted) carries nothing.
  const route = table?.Routes?.find((candidate) => candidate.DestinationCidrBlock === '0.0.0.0/0' && candidate.State !== 'blackhole');
  if (!route) return { kind: 'isolated' };
  if (route.GatewayId?.startsWith('igw-')) return { kind: 'public', via: route.GatewayId };
  const via = route.NatGatewayId ?? route.TransitGatewayId ?? route.NetworkInterfaceId ?? route.InstanceId ?? route.GatewayId ?? 'a route';
  return { kind: 'private', via };
}

/** How the review and preflight name it: "public (igw-1)", "private (nat-2)", "isolated (no route to the internet)". */
export function egressWords(egress: Egress): string {
  return egress.kind === 'isolated' ? 'isolated (no route to the internet)' : `${egress.kind} (${egress.via})`;
}
