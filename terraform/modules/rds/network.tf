################################################################################
# Subnet group and security group
################################################################################

data "aws_subnet" "this" {
  for_each = toset(var.subnet_ids)

  id = each.value
}

resource "aws_db_subnet_group" "this" {
  name        = var.name
  description = "Subnets of the ${var.name} database"
  subnet_ids  = var.subnet_ids

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.availability_zones) >= 2
      error_message = "subnet_ids must span at least two Availability Zones."
    }

    precondition {
      condition     = alltrue([for subnet in data.aws_subnet.this : subnet.vpc_id == var.vpc_id])
      error_message = "Every subnet in subnet_ids must belong to vpc_id."
    }
  }
}

# The database only answers connections, and security groups are stateful, so the group has no egress
# rule at all: nothing can leave the database's network interfaces on a connection it opens itself. Add
# egress beside this module only for a feature that makes the engine call out (S3 import/export, Lambda
# invocation, foreign data wrappers, replication from an external source).
resource "aws_security_group" "this" {
  # Security group names may not start with "sg-", which var.name could.
  name_prefix = "rds-${var.name}-"
  description = "RDS ${var.name}: ${var.engine} port from allowed clients only, no egress"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_security_group" {
  for_each = toset(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "${var.engine} clients in ${each.value}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_cidr" {
  for_each = toset(var.allowed_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "${var.engine} clients in ${each.value}"
  cidr_ipv4         = strcontains(each.value, ":") ? null : each.value
  cidr_ipv6         = strcontains(each.value, ":") ? each.value : null
  ip_protocol       = "tcp"
  from_port         = local.port
  to_port           = local.port

  tags = var.tags
}
