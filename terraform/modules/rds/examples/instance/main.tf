# RDS for MySQL 8.4 DB instance with a Multi-AZ standby, gp3 storage that grows from 50 to 200 GiB,
# and the MariaDB audit plugin feeding the exported audit log.

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

  deployment     = "instance"
  engine         = "mysql"
  engine_version = "8.4"
  instance_class = "db.m7g.large"
  multi_az       = true

  allocated_storage     = 50
  max_allocated_storage = 200
  storage_type          = "gp3"

  vpc_id                     = var.vpc_id
  subnet_ids                 = var.subnet_ids
  allowed_security_group_ids = var.allowed_security_group_ids

  backup_retention_period = 14

  db_parameters = [
    { name = "innodb_print_all_deadlocks", value = "1", apply_method = "immediate" },
  ]

  tags = {
    owner = "platform-team"
  }
}
