# State lives in S3, encrypted, with S3-native locking (a lock object next to the state; no DynamoDB
# table). The values below are placeholders that fail on purpose: give the real ones when initialising,
# for example with a backend.hcl file that is not committed, or in CI:
#
#   terraform init \
#     -backend-config="bucket=acme-terraform-state" \
#     -backend-config="key=rds-provisioner/live/terraform.tfstate" \
#     -backend-config="region=eu-west-1"
#
# -backend-config values override the ones written here. Add kms_key_id to encrypt the state with your
# own KMS key instead of the bucket's default encryption.
terraform {
  backend "s3" {
    bucket       = "REPLACE-ME-state-bucket"
    key          = "rds-provisioner/live/terraform.tfstate"
    region       = "REPLACE-ME"
    encrypt      = true
    use_lockfile = true
  }
}
