################################################################################
# Aurora: deployment "aurora" (provisioned instances) and "aurora-serverless"
# (Serverless v2: a provisioned-mode cluster of db.serverless instances)
################################################################################

resource "aws_rds_cluster" "this" {
  count = var.deployment == "instance" ? 0 : 1

  #checkov:skip=CKV2_AWS_8:Backups are RDS automated backups with point-in-time recovery (1-35 days) and a final snapshot; AWS Backup plans are assigned centrally by tag, not per database.
  #checkov:skip=CKV2_AWS_27:False positive: checkov does not render the dynamic parameter blocks; the cluster parameter group of aurora-postgresql always sets log_statement and log_min_duration_statement (parameters.tf).

  cluster_identifier          = var.name
  engine                      = var.engine
  engine_mode                 = "provisioned"
  engine_version              = var.engine_version
  engine_lifecycle_support    = var.engine_lifecycle_support
  allow_major_version_upgrade = var.allow_major_version_upgrade
  database_name               = var.database_name
  port                        = local.port

  master_username                     = var.master_username
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = local.kms_key_arn
  iam_database_authentication_enabled = var.iam_database_authentication_enabled

  storage_encrypted = true
  kms_key_id        = local.kms_key_arn

  db_subnet_group_name            = aws_db_subnet_group.this.name
  vpc_security_group_ids          = [aws_security_group.this.id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.this[0].name

  # A major version upgrade moves the instances to this group too (RDS accepts it only with that flag).
  db_instance_parameter_group_name = var.allow_major_version_upgrade ? aws_db_parameter_group.this.name : null

  backup_retention_period      = var.backup_retention_period
  preferred_backup_window      = var.preferred_backup_window
  preferred_maintenance_window = var.preferred_maintenance_window
  backtrack_window             = var.engine == "aurora-mysql" && var.deployment == "aurora" ? var.backtrack_window : null
  copy_tags_to_snapshot        = var.copy_tags_to_snapshot
  deletion_protection          = var.deletion_protection
  skip_final_snapshot          = var.skip_final_snapshot
  final_snapshot_identifier    = local.final_snapshot_identifier
  delete_automated_backups     = var.delete_automated_backups
  apply_immediately            = var.apply_immediately

  enabled_cloudwatch_logs_exports = local.log_exports

  dynamic "serverlessv2_scaling_configuration" {
    for_each = local.is_serverless ? [1] : []

    content {
      min_capacity = var.serverless_min_capacity
      max_capacity = var.serverless_max_capacity
    }
  }

  tags = var.tags

  # The log groups must exist, encrypted and with retention, before RDS starts exporting.
  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_rds_cluster_instance" "this" {
  count = var.deployment == "instance" ? 0 : var.instances

  identifier         = "${var.name}-${count.index + 1}"
  cluster_identifier = aws_rds_cluster.this[0].id
  engine             = aws_rds_cluster.this[0].engine
  engine_version     = aws_rds_cluster.this[0].engine_version
  instance_class     = local.is_serverless ? "db.serverless" : var.instance_class

  # Spread over the zones; the first instance is the preferred writer, and the readers share the next
  # tier so that any of them may take over (Serverless v2 readers in tier 0-1 also scale with the writer).
  availability_zone = local.availability_zones[count.index % length(local.availability_zones)]
  promotion_tier    = count.index == 0 ? 0 : 1

  db_subnet_group_name    = aws_db_subnet_group.this.name
  db_parameter_group_name = aws_db_parameter_group.this.name
  publicly_accessible     = false
  ca_cert_identifier      = var.ca_cert_identifier

  auto_minor_version_upgrade   = var.auto_minor_version_upgrade
  preferred_maintenance_window = var.preferred_maintenance_window
  apply_immediately            = var.apply_immediately
  copy_tags_to_snapshot        = var.copy_tags_to_snapshot

  monitoring_interval = var.monitoring_interval
  monitoring_role_arn = local.monitoring_role_arn

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? local.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? var.performance_insights_retention_period : null

  tags = var.tags

  depends_on = [aws_iam_role_policy_attachment.monitoring]
}
