################################################################################
# KMS key for storage, snapshots, the master user secret, Performance Insights
# and the log groups (created unless var.kms_key_id is given)
################################################################################

data "aws_iam_policy_document" "kms" {
  count = local.create_kms_key ? 1 : 0

  #checkov:skip=CKV_AWS_109:Key policy, not an identity policy: Resource "*" is this key alone, and the account-root statement is the AWS default that hands control of the key to IAM policies.
  #checkov:skip=CKV_AWS_111:Key policy, not an identity policy: Resource "*" is this key alone, and the account-root statement is the AWS default that hands control of the key to IAM policies.
  #checkov:skip=CKV_AWS_356:Key policy, not an identity policy: Resource "*" is this key alone and cannot be narrowed further inside the key's own policy.

  # The account keeps full control of its key and delegates use to IAM policies. RDS, Secrets Manager
  # and Performance Insights use the key through grants made on behalf of the principal that creates
  # or reads the database, so that principal needs kms permissions on this key in its IAM policy.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts the database's log groups, and only those.
  statement {
    sid = "CloudWatchLogsForTheDatabaseLogGroups"
    actions = [
      "kms:Decrypt*",
      "kms:Describe*",
      "kms:Encrypt*",
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.${local.dns_suffix}"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/rds/${local.log_group_kind}/${var.name}/*"]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "RDS ${var.name}: storage, snapshots, master user secret, Performance Insights and log groups"
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/rds/${var.name}"
  target_key_id = aws_kms_key.this[0].key_id
}
