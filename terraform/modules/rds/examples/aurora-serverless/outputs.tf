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

output "iam_database_user_arn_prefix" {
  description = "Prefix of the rds-db:connect resource for IAM database authentication."
  value       = module.db.iam_database_user_arn_prefix
}
