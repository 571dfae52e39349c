################################################################################
# CloudWatch log groups for the exported logs, created before the database so
# that RDS does not create them itself (unencrypted, kept forever, unmanaged)
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(local.log_exports)

  name              = "/aws/rds/${local.log_group_kind}/${var.name}/${each.value}"
  retention_in_days = var.cloudwatch_log_group_retention_in_days
  kms_key_id        = local.kms_key_arn

  tags = var.tags
}

################################################################################
# Enhanced Monitoring role (created when monitoring is on and no role is given)
################################################################################

data "aws_iam_policy_document" "monitoring_assume_role" {
  count = local.create_monitoring_role ? 1 : 0

  statement {
    sid     = "RdsEnhancedMonitoring"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }

    # Only on behalf of databases in this account (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  count = local.create_monitoring_role ? 1 : 0

  # IAM allows a name_prefix of at most 38 characters.
  name_prefix        = "${substr(var.name, 0, 26)}-monitoring-"
  description        = "Lets RDS publish Enhanced Monitoring metrics of ${var.name} to CloudWatch Logs"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume_role[0].json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = local.create_monitoring_role ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}
