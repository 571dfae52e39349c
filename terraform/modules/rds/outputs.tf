output "identifier" {
  description = "Identifier of the DB cluster (Aurora) or DB instance."
  value       = local.is_cluster ? aws_rds_cluster.this[0].cluster_identifier : aws_db_instance.this[0].identifier
}

output "arn" {
  description = "ARN of the DB cluster (Aurora) or DB instance."
  value       = local.is_cluster ? aws_rds_cluster.this[0].arn : aws_db_instance.this[0].arn
}

output "resource_id" {
  description = "Region-unique, immutable resource ID (cluster-... or db-...): the ID that IAM database authentication policies name in rds-db:connect resources."
  value       = local.is_cluster ? aws_rds_cluster.this[0].cluster_resource_id : aws_db_instance.this[0].resource_id
}

output "iam_database_user_arn_prefix" {
  description = "ARN prefix for IAM database authentication: append \"/<database user>\" to get the resource of an rds-db:connect policy statement."
  value       = "arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${local.is_cluster ? aws_rds_cluster.this[0].cluster_resource_id : aws_db_instance.this[0].resource_id}"
}

output "endpoint" {
  description = "Host name to connect to: the cluster (writer) endpoint for Aurora, the instance address otherwise. Without the port."
  value       = local.is_cluster ? aws_rds_cluster.this[0].endpoint : aws_db_instance.this[0].address
}

output "reader_endpoint" {
  description = "Aurora reader endpoint, load-balanced over the readers (the writer while there are none); null for deployment \"instance\"."
  value       = local.is_cluster ? aws_rds_cluster.this[0].reader_endpoint : null
}

output "port" {
  description = "Port the database listens on."
  value       = local.port
}

output "engine" {
  description = "Database engine."
  value       = var.engine
}

output "engine_version_actual" {
  description = "Engine version actually running, including the minor version that automatic upgrades chose."
  value       = local.is_cluster ? aws_rds_cluster.this[0].engine_version_actual : aws_db_instance.this[0].engine_version_actual
}

output "database_name" {
  description = "Name of the database created inside the engine, or null."
  value       = var.database_name
}

output "master_username" {
  description = "Master user name."
  value       = var.master_username
}

output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret in which RDS keeps and rotates the master user password (encrypted with kms_key_arn)."
  value       = local.is_cluster ? aws_rds_cluster.this[0].master_user_secret[0].secret_arn : aws_db_instance.this[0].master_user_secret[0].secret_arn
}

output "security_group_id" {
  description = "ID of the database's security group; allow egress to it on the port from client security groups."
  value       = aws_security_group.this.id
}

output "db_subnet_group_name" {
  description = "Name of the DB subnet group."
  value       = aws_db_subnet_group.this.name
}

output "cluster_parameter_group_name" {
  description = "Name of the DB cluster parameter group; null for deployment \"instance\"."
  value       = one(aws_rds_cluster_parameter_group.this[*].name)
}

output "db_parameter_group_name" {
  description = "Name of the DB parameter group (the instances' parameter group for Aurora)."
  value       = aws_db_parameter_group.this.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts storage, snapshots, the master user secret, Performance Insights and the log groups (the module's own key, or kms_key_id)."
  value       = local.kms_key_arn
}

output "instance_identifiers" {
  description = "Identifiers of the DB instances: the Aurora cluster's instances in creation order (the first is the preferred writer), or the single DB instance."
  value       = local.is_cluster ? aws_rds_cluster_instance.this[*].identifier : aws_db_instance.this[*].identifier
}

output "cloudwatch_log_group_names" {
  description = "Names of the CloudWatch log groups that receive the exported logs, by log type (e.g. {slowquery = \"/aws/rds/cluster/<name>/slowquery\"})."
  value       = { for log, group in aws_cloudwatch_log_group.this : log => group.name }
}

output "monitoring_role_arn" {
  description = "ARN of the Enhanced Monitoring role in use (created by the module or given), or null when monitoring_interval is 0."
  value       = local.monitoring_role_arn
}
