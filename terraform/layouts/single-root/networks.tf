# Where the databases of each environment live. Every generated file picks its environment's entry:
#
#   vpc_id                     = var.networks["dev"].vpc_id
#   subnet_ids                 = var.networks["dev"].subnet_ids
#   allowed_security_group_ids = var.networks["dev"].allowed_security_group_ids
#   allowed_cidr_blocks        = var.networks["dev"].allowed_cidr_blocks
#
# The values are in networks.auto.tfvars.
variable "networks" {
  description = "Network of each environment, by environment name: the VPC, its private subnets for the DB subnet groups (at least two, in two or more Availability Zones), and the client security groups and CIDR blocks allowed to reach the databases."
  type = map(object({
    vpc_id                     = string
    subnet_ids                 = list(string)
    allowed_security_group_ids = optional(list(string), [])
    allowed_cidr_blocks        = optional(list(string), [])
  }))
  nullable = false

  validation {
    condition     = length(var.networks) > 0 && alltrue([for env in keys(var.networks) : can(regex("^[a-z][a-z0-9-]{0,31}$", env))])
    error_message = "networks must hold at least one environment, named with lowercase letters, digits and hyphens (e.g. \"dev\")."
  }

  validation {
    condition     = alltrue([for network in values(var.networks) : can(regex("^vpc-[0-9a-f]{8,17}$", network.vpc_id))])
    error_message = "Every vpc_id must be a VPC ID such as \"vpc-0123456789abcdef0\"."
  }

  validation {
    condition = alltrue([
      for network in values(var.networks) :
      length(network.subnet_ids) >= 2 && length(distinct(network.subnet_ids)) == length(network.subnet_ids) && alltrue([for id in network.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    ])
    error_message = "Every subnet_ids must list at least two distinct subnet IDs such as \"subnet-0123456789abcdef0\"."
  }

  validation {
    condition     = alltrue([for network in values(var.networks) : alltrue([for id in network.allowed_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))])])
    error_message = "Every allowed_security_group_ids entry must be a security group ID such as \"sg-0123456789abcdef0\"."
  }

  validation {
    condition = alltrue([
      for network in values(var.networks) :
      alltrue([for cidr in network.allowed_cidr_blocks : can(cidrhost(cidr, 0)) && !endswith(cidr, "/0")])
    ])
    error_message = "Every allowed_cidr_blocks entry must be a valid IPv4 or IPv6 CIDR block narrower than /0."
  }
}
