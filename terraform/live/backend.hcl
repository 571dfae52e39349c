# The state settings every database's root shares; each root's main.tf names its own key. Every root
# initialises with it:
#
#   cd terraform/live/<environment>/<db_name>
#   terraform init -backend-config=../../backend.hcl
#
# REPLACE the bucket and region with your own before the first plan: the placeholders fail on purpose.
# State is encrypted, and locked with a .tflock object beside each state (S3-native locking, Terraform
# 1.10 or later; no DynamoDB table). Add kms_key_id to encrypt with your own KMS key.
bucket       = "REPLACE-ME-state-bucket"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
