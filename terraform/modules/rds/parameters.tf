################################################################################
# Parameter groups (TLS required, slow-query and audit logging) and, for audit
# logs on RDS for MySQL and MariaDB, the option group with the audit plugin
################################################################################

locals {
  long_query_time            = tostring(var.slow_query_threshold_ms / 1000)
  log_min_duration_statement = tostring(var.slow_query_threshold_ms)
  server_audit_events        = join(",", var.audit_log_events)

  # Parameters the module always sets, by engine. TLS cannot be turned off; the logging parameters follow
  # slow_query_threshold_ms, log_statement, audit_log_events and the exported logs. cluster_parameters and
  # db_parameters may not name any of them (see their validations).
  enforced_parameters = {
    "aurora-mysql" = [
      { name = "require_secure_transport", value = "ON", apply_method = "immediate" },
      { name = "slow_query_log", value = "1", apply_method = "immediate" },
      { name = "long_query_time", value = local.long_query_time, apply_method = "immediate" },
      { name = "log_output", value = "FILE", apply_method = "immediate" },
      { name = "server_audit_logging", value = "1", apply_method = "immediate" },
      { name = "server_audit_events", value = local.server_audit_events, apply_method = "immediate" },
    ]
    "aurora-postgresql" = [
      { name = "rds.force_ssl", value = "1", apply_method = "immediate" },
      { name = "log_min_duration_statement", value = local.log_min_duration_statement, apply_method = "immediate" },
      { name = "log_statement", value = var.log_statement, apply_method = "immediate" },
    ]
    "mysql" = [
      { name = "require_secure_transport", value = "1", apply_method = "immediate" },
      { name = "slow_query_log", value = "1", apply_method = "immediate" },
      { name = "long_query_time", value = local.long_query_time, apply_method = "immediate" },
      { name = "log_output", value = "FILE", apply_method = "immediate" },
    ]
    "mariadb" = [
      { name = "require_secure_transport", value = "1", apply_method = "immediate" },
      { name = "slow_query_log", value = "1", apply_method = "immediate" },
      { name = "long_query_time", value = local.long_query_time, apply_method = "immediate" },
      { name = "log_output", value = "FILE", apply_method = "immediate" },
    ]
    "postgres" = [
      { name = "rds.force_ssl", value = "1", apply_method = "immediate" },
      { name = "log_min_duration_statement", value = local.log_min_duration_statement, apply_method = "immediate" },
      { name = "log_statement", value = var.log_statement, apply_method = "immediate" },
    ]
  }[var.engine]

  # For Aurora the enforced parameters live in the cluster parameter group; the DB parameter group then
  # holds the caller's instance-level parameters only.
  db_enforced_parameters = var.deployment == "instance" ? local.enforced_parameters : []
}

resource "aws_rds_cluster_parameter_group" "this" {
  count = var.deployment == "instance" ? 0 : 1

  name_prefix = "${var.name}-"
  family      = local.parameter_group_family
  description = "RDS ${var.name}: TLS required, slow-query and audit logging"

  dynamic "parameter" {
    for_each = concat(local.enforced_parameters, var.cluster_parameters)

    content {
      name         = parameter.value.name
      value        = parameter.value.value
      apply_method = parameter.value.apply_method
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.name}-"
  family      = local.parameter_group_family
  description = var.deployment == "instance" ? "RDS ${var.name}: TLS required, slow-query logging" : "RDS ${var.name}: instance parameters"

  dynamic "parameter" {
    for_each = concat(local.db_enforced_parameters, var.db_parameters)

    content {
      name         = parameter.value.name
      value        = parameter.value.value
      apply_method = parameter.value.apply_method
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_option_group" "this" {
  count = var.deployment == "instance" && local.audit_enabled ? 1 : 0

  name_prefix              = "${var.name}-"
  option_group_description = "RDS ${var.name}: MariaDB audit plugin for the exported audit log"
  engine_name              = var.engine
  major_engine_version     = local.engine_major_version

  option {
    option_name = "MARIADB_AUDIT_PLUGIN"

    option_settings {
      name  = "SERVER_AUDIT_EVENTS"
      value = local.server_audit_events
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}
