/**
 * The files `init-repo` writes that carry the user's values: the per-database layout's shared
 * backend.hcl, and the single root's backend.tf, providers.auto.tfvars and networks.auto.tfvars. Written
 * with the HCL writer, so each is `terraform fmt` clean. Pure.
 */
import type { InitRepoSettings } from '../domain/init-repo.js';
import { attribute, block, comment, fields, writeFile } from './hcl.js';

/** terraform/live/backend.hcl: the state every per-database root shares (each root adds its key). */
export function renderBackendHcl(state: InitRepoSettings['state']): string {
  return writeFile([
    comment(
      "The state settings every database's root shares; each root's main.tf names its own key. Every root",
    ),
    comment('initialises with it:'),
    comment(''),
    comment('  cd terraform/live/<environment>/<db_name>'),
    comment('  terraform init -backend-config=../../backend.hcl'),
    comment(''),
    comment(
      'Written by rds-provisioner init-repo. State is encrypted, and locked with a .tflock object beside',
    ),
    comment('each state (S3-native locking, Terraform 1.10 or later; no DynamoDB table). Add kms_key_id to'),
    comment('encrypt with your own KMS key.'),
    attribute('bucket', state.bucket),
    attribute('region', state.region),
    attribute('encrypt', true),
    attribute('use_lockfile', true),
  ]);
}

/** The single root's backend.tf, with the bucket and region given (-backend-config values still win). */
export function renderSingleRootBackend(state: InitRepoSettings['state']): string {
  return writeFile([
    comment('State lives in S3, encrypted, with S3-native locking (a lock object next to the state; no'),
    comment('DynamoDB table). Written by rds-provisioner init-repo; the pipeline passes the same values'),
    comment('(TF_STATE_BUCKET, TF_STATE_REGION) as -backend-config, which override these.'),
    block(
      'terraform',
      [],
      [
        block(
          'backend',
          ['s3'],
          [
            attribute('bucket', state.bucket),
            attribute('key', 'rds-provisioner/live/terraform.tfstate'),
            attribute('region', state.region),
            attribute('encrypt', true),
            attribute('use_lockfile', true),
          ],
        ),
      ],
    ),
  ]);
}

/** The single root's providers.auto.tfvars: its one region and the repository tag. */
export function renderProvidersTfvars(settings: Pick<InitRepoSettings, 'region' | 'repository'>): string {
  return writeFile([
    comment('Written by rds-provisioner init-repo: the region of every database of this root, and the'),
    comment('repository tag of every resource.'),
    attribute('region', settings.region),
    attribute('repository', settings.repository),
  ]);
}

/** The single root's networks.auto.tfvars: each environment's VPC, subnets and allowed clients. */
export function renderNetworksTfvars(environments: InitRepoSettings['environments']): string {
  const entries = Object.entries(environments);
  return writeFile([
    comment('Written by rds-provisioner init-repo: where the databases of each environment live. Every'),
    comment('generated file reads its environment\'s entry (var.networks["dev"].vpc_id, ...).'),
    attribute(
      'networks',
      fields(
        Object.fromEntries(
          entries.map(([name, { network }]) => [
            name,
            fields({
              vpc_id: network.vpc_id,
              subnet_ids: network.subnet_ids,
              allowed_security_group_ids: network.allowed_security_group_ids,
              allowed_cidr_blocks: network.allowed_cidr_blocks,
            }),
          ]),
        ),
      ),
    ),
  ]);
}
