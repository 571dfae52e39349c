/**
 * RDS and its network in moto's server, for runs of real Terraform against it: raw query-protocol
 * calls (signed well enough for moto to route them), and the packaged policy pointed at a VPC made there.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { type Policy, parsePolicy } from '../../src/domain/policy.js';
import { DEFAULT_POLICY_PATH } from '../../src/runtime/policy-file.js';
import type { MotoServer } from './moto.js';

/** A query-protocol call to moto (EC2, RDS); answers the XML, throws on an error status. */
export async function motoQuery(
  moto: MotoServer,
  service: 'ec2' | 'rds',
  params: Record<string, string>,
): Promise<string> {
  const version = service === 'ec2' ? '2016-11-15' : '2014-10-31';
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${moto.region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ ...params, Version: version }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto ${service} ${params.Action}: ${response.status} ${text}`);
  return text;
}

/** The text of an XML answer's first `<tag>`; throws when it has none. */
export function xmlField(xml: string, tag: string): string {
  const value = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)?.[1];
  if (!value) throw new Error(`no <${tag}> in ${xml.slice(0, 500)}`);
  return value;
}

export interface MotoNetwork {
  vpc_id: string;
  subnet_ids: string[];
  allowed_security_group_ids: string[];
}

/** A VPC with a subnet in two zones and a clients' security group, in moto. */
export async function motoNetwork(moto: MotoServer): Promise<MotoNetwork> {
  const vpc = xmlField(
    await motoQuery(moto, 'ec2', { Action: 'CreateVpc', CidrBlock: '10.0.0.0/16' }),
    'vpcId',
  );
  const subnets: string[] = [];
  for (const [n, zone] of ['a', 'b'].entries())
    subnets.push(
      xmlField(
        await motoQuery(moto, 'ec2', {
          Action: 'CreateSubnet',
          VpcId: vpc,
          CidrBlock: `10.0.${n}.0/24`,
          AvailabilityZone: `${moto.region}${zone}`,
        }),
        'subnetId',
      ),
    );
  const clients = xmlField(
    await motoQuery(moto, 'ec2', {
      Action: 'CreateSecurityGroup',
      GroupName: 'clients',
      GroupDescription: 'database clients',
      VpcId: vpc,
    }),
    'groupId',
  );
  return { vpc_id: vpc, subnet_ids: subnets, allowed_security_group_ids: [clients] };
}

/**
 * The packaged policy with `network` as the listed environments' network, and each key path of
 * `edits` set (e.g. an engine family's allowed versions).
 */
export function policyInNetwork(
  network: MotoNetwork,
  environments: string[],
  edits: Array<[path: string[], value: unknown]> = [],
): Policy {
  const doc = parseDocument(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
  for (const environment of environments)
    doc.setIn(['environments', environment, 'network'], doc.createNode(network));
  for (const [path, value] of edits) doc.setIn(path, doc.createNode(value));
  const parsed = parsePolicy(doc.toString(), 'the packaged policy in moto');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value.policy;
}
