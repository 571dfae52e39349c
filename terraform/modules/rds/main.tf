data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  is_cluster    = var.deployment != "instance"
  is_serverless = var.deployment == "aurora-serverless"
  is_postgres   = contains(["aurora-postgresql", "postgres"], var.engine)

  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region

  port = coalesce(var.port, local.is_postgres ? 5432 : 3306)

  # PostgreSQL families carry the major version only (postgres17, aurora-postgresql17); MySQL and MariaDB
  # families carry major.minor (mysql8.4, aurora-mysql8.0, mariadb11.4). The option group takes the same value.
  engine_major_version   = local.is_postgres ? regex("^[0-9]+", var.engine_version) : regex("^[0-9]+\\.[0-9]+", var.engine_version)
  parameter_group_family = coalesce(var.parameter_group_family, "${var.engine}${local.engine_major_version}")

  final_snapshot_identifier = coalesce(var.final_snapshot_identifier, "${var.name}-final")

  # Log exports are always on; the default set depends on the engine.
  log_exports    = var.enabled_cloudwatch_logs_exports != null ? var.enabled_cloudwatch_logs_exports : (local.is_postgres ? ["postgresql"] : ["audit", "error", "slowquery"])
  log_group_kind = local.is_cluster ? "cluster" : "instance"
  audit_enabled  = !local.is_postgres && contains(local.log_exports, "audit")

  create_kms_key = var.kms_key_id == null
  kms_key_arn    = local.create_kms_key ? one(aws_kms_key.this[*].arn) : var.kms_key_id

  create_monitoring_role = var.monitoring_interval > 0 && var.monitoring_role_arn == null
  monitoring_role_arn    = var.monitoring_interval == 0 ? null : (local.create_monitoring_role ? one(aws_iam_role.monitoring[*].arn) : var.monitoring_role_arn)

  # Aurora instances go round-robin over the distinct Availability Zones of the subnet group, in a stable order.
  availability_zones = sort(distinct([for subnet in data.aws_subnet.this : subnet.availability_zone]))
}
