variable "region" {
  description = "AWS Region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Identifier of the cluster."
  type        = string
  default     = "example-aurora"
}

variable "vpc_id" {
  description = "VPC for the cluster's security group."
  type        = string
  default     = "vpc-0123456789abcdef0"
}

variable "subnet_ids" {
  description = "Private subnets in at least two Availability Zones."
  type        = list(string)
  default     = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

variable "allowed_security_group_ids" {
  description = "Security groups of the clients allowed to connect."
  type        = list(string)
  default     = ["sg-0123456789abcdef0"]
}
