terraform {
  # 1.10 is the first release with S3-native state locking (use_lockfile in backend.tf); the rds module
  # itself needs 1.9.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

variable "region" {
  description = "AWS Region the databases are created in (set in providers.auto.tfvars)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$", var.region))
    error_message = "region must be an AWS Region name such as \"eu-west-1\"."
  }
}

variable "repository" {
  description = "The repository that holds this configuration, recorded in the repository tag of every resource (set in providers.auto.tfvars)."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.repository) > 0 && length(var.repository) <= 256
    error_message = "repository must be 1-256 characters long."
  }
}

provider "aws" {
  region = var.region

  # Every resource carries these in addition to the tags each generated file sets
  # (environment, owner, request-id, ...).
  default_tags {
    tags = {
      managed-by = "rds-provisioner"
      repository = var.repository
    }
  }
}
