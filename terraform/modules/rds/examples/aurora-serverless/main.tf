# Aurora PostgreSQL Serverless v2: one db.serverless writer scaling between 0.5 and 8 ACUs, reachable
# from one security group and one CIDR block.

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
      environment = "staging"
      managed-by  = "terraform"
    }
  }
}

module "db" {
  source = "../.."

  name          = var.name
  database_name = "app"

  deployment              = "aurora-serverless"
  engine                  = "aurora-postgresql"
  engine_version          = "17.5"
  serverless_min_capacity = 0.5
  serverless_max_capacity = 8

  vpc_id                     = var.vpc_id
  subnet_ids                 = var.subnet_ids
  allowed_security_group_ids = var.allowed_security_group_ids
  allowed_cidr_blocks        = var.allowed_cidr_blocks

  slow_query_threshold_ms = 500

  tags = {
    owner = "platform-team"
  }
}
