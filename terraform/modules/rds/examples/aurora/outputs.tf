output "endpoint" {
  description = "Writer endpoint."
  value       = module.db.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint."
  value       = module.db.reader_endpoint
}

output "port" {
  description = "Database port."
  value       = module.db.port
}

output "master_user_secret_arn" {
  description = "Secret holding the master user password."
  value       = module.db.master_user_secret_arn
}

output "instance_identifiers" {
  description = "Cluster instances."
  value       = module.db.instance_identifiers
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = module.db.security_group_id
}
