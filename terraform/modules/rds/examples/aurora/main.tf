# Production-like Aurora MySQL cluster: a writer and a reader in two Availability Zones, deletion
# protection, 14 days of backups, Enhanced Monitoring every 60 s and Performance Insights.

terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      environment = "prod"
      managed-by  = "terraform"
    }
  }
}

module "db" {
  source = "../.."

  name          = var.name
  database_name = "app"

  deployment     = "aurora"
  engine         = "aurora-mysql"
  engine_version = "8.0.mysql_aurora.3.08.2"
  instance_class = "db.r7g.large"
  instances      = 2

  vpc_id                     = var.vpc_id
  subnet_ids                 = var.subnet_ids
  allowed_security_group_ids = var.allowed_security_group_ids

  deletion_protection     = true
  skip_final_snapshot     = false
  backup_retention_period = 14

  monitoring_interval                   = 60
  performance_insights_enabled          = true
  performance_insights_retention_period = 7

  cluster_parameters = [
    { name = "time_zone", value = "UTC" },
  ]

  tags = {
    owner = "platform-team"
  }
}
