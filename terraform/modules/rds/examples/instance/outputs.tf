output "endpoint" {
  description = "Instance address."
  value       = module.db.endpoint
}

output "port" {
  description = "Database port."
  value       = module.db.port
}

output "master_user_secret_arn" {
  description = "Secret holding the master user password."
  value       = module.db.master_user_secret_arn
}

output "cloudwatch_log_group_names" {
  description = "Log groups receiving the exported logs."
  value       = module.db.cloudwatch_log_group_names
}
