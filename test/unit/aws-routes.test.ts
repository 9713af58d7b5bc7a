// How a subnet reaches the internet, read from its VPC's route tables as describe-route-tables returns them.
import { describe, expect, it } from 'vitest';
import { egressOf, egressWords, type RouteTable } from '../../source/clouds/aws/routes.js';

const local = { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' };
const main = (routes: RouteTable['Routes']): RouteTable => ({ RouteTableId: 'rtb-main', Associations: [{ Main: true }], Routes: [local, ...(routes ?? [])] });
const explicit = (subnet: string, routes: RouteTable['Routes']): RouteTable => ({ RouteTableId: `rtb-${subnet}`, Associations: [{ Main: false, SubnetId: subnet }], Routes: [local, ...(routes ?? [])] });

describe('egressOf', () => {
  it('a subnet without an association of its own uses the main table: public through an internet gateway', () => {
    expect(egressOf('subnet-a', [main([{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', State: 'active' }])])).toEqual({ kind: 'public', via: 'igw-1' });
  });

  it('an explicit association wins over the main table: private through a NAT gateway', () => {
    const tables = [main([{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1' }]), explicit('subnet-a', [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1', State: 'active' }])];
    expect(egressOf('subnet-a', tables)).toEqual({ kind: 'private', via: 'nat-1' });
    expect(egressOf('subnet-b', tables)).toEqual({ kind: 'public', via: 'igw-1' });
  });

  it('a transit gateway or an appliance is a way out too', () => {
    expect(egressOf('subnet-a', [main([{ DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-1' }])])).toEqual({ kind: 'private', via: 'tgw-1' });
    expect(egressOf('subnet-a', [main([{ DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-1' }])])).toEqual({ kind: 'private', via: 'eni-1' });
  });

  it('no default route, a blackhole (its NAT gateway deleted) or no table at all: isolated', () => {
    expect(egressOf('subnet-a', [main([])])).toEqual({ kind: 'isolated' });
    expect(egressOf('subnet-a', [main([{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-gone', State: 'blackhole' }])])).toEqual({ kind: 'isolated' });
    expect(egressOf('subnet-a', [])).toEqual({ kind: 'isolated' });
  });

  it('names each as the review prints it', () => {
    expect(egressWords({ kind: 'public', via: 'igw-1' })).toBe('public (igw-1)');
    expect(egressWords({ kind: 'private', via: 'nat-1' })).toBe('private (nat-1)');
    expect(egressWords({ kind: 'isolated' })).toBe('isolated (no route to the internet)');
  });
});
