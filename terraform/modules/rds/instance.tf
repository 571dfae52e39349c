################################################################################
# RDS DB instance: deployment "instance" (MySQL, PostgreSQL, MariaDB)
################################################################################

resource "aws_db_instance" "this" {
  count = var.deployment == "instance" ? 1 : 0

  identifier     = var.name
  engine         = var.engine
  engine_version = var.engine_version
  instance_class = var.instance_class
  db_name        = var.database_name
  port           = local.port

  # MariaDB has no RDS Extended Support, so the setting is not sent for it.
  engine_lifecycle_support    = var.engine == "mariadb" ? null : var.engine_lifecycle_support
  allow_major_version_upgrade = var.allow_major_version_upgrade
  auto_minor_version_upgrade  = var.auto_minor_version_upgrade

  username                            = var.master_username
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = local.kms_key_arn
  iam_database_authentication_enabled = var.iam_database_authentication_enabled

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = var.storage_type
  iops                  = var.iops
  storage_encrypted     = true
  kms_key_id            = local.kms_key_arn

  multi_az               = var.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  ca_cert_identifier     = var.ca_cert_identifier

  parameter_group_name = aws_db_parameter_group.this.name
  option_group_name    = one(aws_db_option_group.this[*].name)

  backup_retention_period   = var.backup_retention_period
  backup_window             = var.preferred_backup_window
  maintenance_window        = var.preferred_maintenance_window
  copy_tags_to_snapshot     = var.copy_tags_to_snapshot
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = local.final_snapshot_identifier
  delete_automated_backups  = var.delete_automated_backups
  apply_immediately         = var.apply_immediately

  enabled_cloudwatch_logs_exports = local.log_exports

  monitoring_interval = var.monitoring_interval
  monitoring_role_arn = local.monitoring_role_arn

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? local.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? var.performance_insights_retention_period : null

  tags = var.tags

  # The log groups must exist, encrypted and with retention, before RDS starts exporting; the monitoring
  # role must carry its policy before RDS accepts it.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy_attachment.monitoring,
  ]
}
