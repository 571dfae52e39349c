################################################################################
# Identity and engine
################################################################################

variable "name" {
  description = "Identifier of the DB cluster or DB instance, and the base name of every resource the module creates. 1-40 characters of a-z, 0-9 and -, starting with a letter, without -- and not ending in - (RDS identifier rules, with room for suffixes)."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.name) >= 1 && length(var.name) <= 40
    error_message = "name must be 1 to 40 characters long."
  }

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.name))
    error_message = "name must start with a lowercase letter and contain only lowercase letters, digits and hyphens."
  }

  validation {
    condition     = !strcontains(var.name, "--") && !endswith(var.name, "-")
    error_message = "name must not contain two consecutive hyphens or end with a hyphen."
  }
}

variable "database_name" {
  description = "Name of the database created inside the engine at creation time. null creates none (the engine's default databases only)."
  type        = string
  default     = null

  validation {
    condition     = var.database_name == null ? true : can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a letter and contain only letters, digits and underscores, at most 63 characters."
  }
}

variable "deployment" {
  description = "How the database is deployed: \"aurora\" (Aurora cluster of provisioned instances), \"aurora-serverless\" (Aurora Serverless v2 cluster) or \"instance\" (a single RDS DB instance, optionally Multi-AZ)."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["aurora", "aurora-serverless", "instance"], var.deployment)
    error_message = "deployment must be one of \"aurora\", \"aurora-serverless\" or \"instance\"."
  }
}

variable "engine" {
  description = "Database engine: \"aurora-mysql\" or \"aurora-postgresql\" for the Aurora deployments, \"mysql\", \"postgres\" or \"mariadb\" for deployment = \"instance\"."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["aurora-mysql", "aurora-postgresql", "mysql", "postgres", "mariadb"], var.engine)
    error_message = "engine must be one of \"aurora-mysql\", \"aurora-postgresql\", \"mysql\", \"postgres\" or \"mariadb\"."
  }

  validation {
    condition     = startswith(var.engine, "aurora-") == (var.deployment != "instance")
    error_message = "engine must be \"aurora-mysql\" or \"aurora-postgresql\" exactly when deployment is \"aurora\" or \"aurora-serverless\"; deployment \"instance\" takes \"mysql\", \"postgres\" or \"mariadb\"."
  }
}

variable "engine_version" {
  description = "Engine version. Aurora MySQL takes the full version (\"8.0.mysql_aurora.3.08.2\"), Aurora PostgreSQL major.minor (\"17.5\"). For deployment = \"instance\" pass major[.minor] (\"8.4\", \"17\", \"11.4\") so that automatic minor version upgrades do not show up as drift."
  type        = string
  nullable    = false

  validation {
    condition = can(regex(lookup({
      "aurora-mysql"      = "^[0-9]+\\.[0-9]+\\.mysql_aurora\\.[0-9]+(\\.[0-9]+){1,2}$"
      "aurora-postgresql" = "^[0-9]+(\\.[0-9]+)?$"
      "mysql"             = "^[0-9]+\\.[0-9]+(\\.[0-9]+)?$"
      "postgres"          = "^[0-9]+(\\.[0-9]+)?$"
      "mariadb"           = "^[0-9]+\\.[0-9]+(\\.[0-9]+)?$"
    }, var.engine, "^$"), var.engine_version))
    error_message = "engine_version does not fit the engine: aurora-mysql takes e.g. \"8.0.mysql_aurora.3.08.2\", aurora-postgresql \"17.5\", mysql \"8.4\", postgres \"17\" and mariadb \"11.4\"."
  }
}

variable "parameter_group_family" {
  description = "Parameter group family. null derives it from engine and engine_version (aurora-mysql8.0, aurora-postgresql17, mysql8.4, postgres17, mariadb11.4)."
  type        = string
  default     = null

  validation {
    condition     = var.parameter_group_family == null ? true : startswith(var.parameter_group_family, var.engine)
    error_message = "parameter_group_family must belong to the engine (start with the engine name, e.g. \"aurora-mysql8.0\" for aurora-mysql)."
  }
}

variable "allow_major_version_upgrade" {
  description = "Allow a change of engine_version to a new major version. Leave false except for a planned major upgrade."
  type        = bool
  default     = false
  nullable    = false
}

variable "auto_minor_version_upgrade" {
  description = "Apply minor engine upgrades automatically in the maintenance window."
  type        = bool
  default     = true
  nullable    = false
}

variable "engine_lifecycle_support" {
  description = "RDS Extended Support after the engine's end of standard support: \"open-source-rds-extended-support-disabled\" (the default: upgrade instead of paying for extended support) or \"open-source-rds-extended-support\". Not sent for MariaDB, which has no Extended Support."
  type        = string
  default     = "open-source-rds-extended-support-disabled"
  nullable    = false

  validation {
    condition     = contains(["open-source-rds-extended-support", "open-source-rds-extended-support-disabled"], var.engine_lifecycle_support)
    error_message = "engine_lifecycle_support must be \"open-source-rds-extended-support\" or \"open-source-rds-extended-support-disabled\"."
  }
}

################################################################################
# Compute and storage
################################################################################

variable "instance_class" {
  description = "DB instance class, e.g. \"db.r7g.large\". Required for deployment \"aurora\" and \"instance\"; must be null for \"aurora-serverless\", whose instances are db.serverless."
  type        = string
  default     = null

  validation {
    condition     = var.deployment == "aurora-serverless" ? var.instance_class == null : var.instance_class != null
    error_message = "instance_class is required for deployment \"aurora\" and \"instance\", and must be null for \"aurora-serverless\" (the module uses db.serverless)."
  }

  validation {
    condition     = var.instance_class == null ? true : can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like \"db.<family>.<size>\", e.g. \"db.r7g.large\"; use deployment \"aurora-serverless\" instead of db.serverless."
  }
}

variable "instances" {
  description = "Number of Aurora DB instances: one writer plus readers, 1-15. Must be 1 for deployment \"instance\" (use multi_az for a standby)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.instances >= 1 && var.instances <= 15 && floor(var.instances) == var.instances
    error_message = "instances must be a whole number from 1 to 15."
  }

  validation {
    condition     = var.deployment != "instance" || var.instances == 1
    error_message = "instances must be 1 for deployment \"instance\"; use multi_az for a standby."
  }
}

variable "serverless_min_capacity" {
  description = "Aurora Serverless v2 minimum capacity in ACUs (0-256 in steps of 0.5; 0 lets the cluster pause when idle, on engine versions that support it). Used only for deployment \"aurora-serverless\"."
  type        = number
  default     = 0.5
  nullable    = false

  validation {
    condition     = var.serverless_min_capacity >= 0 && var.serverless_min_capacity <= 256 && floor(var.serverless_min_capacity * 2) == var.serverless_min_capacity * 2
    error_message = "serverless_min_capacity must be from 0 to 256 in steps of 0.5."
  }

  validation {
    condition     = var.serverless_min_capacity <= var.serverless_max_capacity
    error_message = "serverless_min_capacity must not exceed serverless_max_capacity."
  }
}

variable "serverless_max_capacity" {
  description = "Aurora Serverless v2 maximum capacity in ACUs (1-256 in steps of 0.5). Used only for deployment \"aurora-serverless\"."
  type        = number
  default     = 4
  nullable    = false

  validation {
    condition     = var.serverless_max_capacity >= 1 && var.serverless_max_capacity <= 256 && floor(var.serverless_max_capacity * 2) == var.serverless_max_capacity * 2
    error_message = "serverless_max_capacity must be from 1 to 256 in steps of 0.5."
  }
}

variable "allocated_storage" {
  description = "Initial storage in GiB. deployment \"instance\" only (Aurora storage grows by itself)."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536 && floor(var.allocated_storage) == var.allocated_storage
    error_message = "allocated_storage must be a whole number of GiB from 20 to 65536."
  }
}

variable "max_allocated_storage" {
  description = "Upper limit in GiB for storage autoscaling; must be at least allocated_storage (equal turns autoscaling off). deployment \"instance\" only."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.max_allocated_storage >= var.allocated_storage && var.max_allocated_storage <= 65536 && floor(var.max_allocated_storage) == var.max_allocated_storage
    error_message = "max_allocated_storage must be a whole number of GiB, at least allocated_storage and at most 65536."
  }
}

variable "storage_type" {
  description = "Storage type: \"gp3\", \"io1\" or \"io2\". deployment \"instance\" only."
  type        = string
  default     = "gp3"
  nullable    = false

  validation {
    condition     = contains(["gp3", "io1", "io2"], var.storage_type)
    error_message = "storage_type must be \"gp3\", \"io1\" or \"io2\"."
  }
}

variable "iops" {
  description = "Provisioned IOPS. Required for storage_type \"io1\" and \"io2\"; for \"gp3\" only from 400 GiB (MySQL, MariaDB, PostgreSQL), else leave null. deployment \"instance\" only."
  type        = number
  default     = null

  validation {
    condition     = contains(["io1", "io2"], var.storage_type) ? var.iops != null : true
    error_message = "iops is required when storage_type is \"io1\" or \"io2\"."
  }

  validation {
    condition     = var.iops == null ? true : var.iops >= 1000 && var.iops <= 256000 && floor(var.iops) == var.iops
    error_message = "iops must be a whole number from 1000 to 256000."
  }
}

variable "multi_az" {
  description = "Run a synchronous standby in another Availability Zone. deployment \"instance\" only; Aurora spreads its instances over the subnet group's zones instead."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.multi_az || var.deployment == "instance"
    error_message = "multi_az applies to deployment \"instance\" only; for Aurora raise instances instead."
  }
}

################################################################################
# Network
################################################################################

variable "port" {
  description = "Port the database listens on. null takes the engine's default: 3306 for MySQL and MariaDB flavours, 5432 for PostgreSQL flavours."
  type        = number
  default     = null

  validation {
    condition     = var.port == null ? true : var.port >= 1150 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be a whole number from 1150 to 65535 (the range RDS allows)."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the database's security group is created in."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as \"vpc-0123456789abcdef0\"."
  }
}

variable "subnet_ids" {
  description = "Private subnets for the DB subnet group: at least two, in at least two Availability Zones of vpc_id. Aurora instances are spread round-robin over their zones."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets."
  }

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "Every subnet_ids entry must be a subnet ID such as \"subnet-0123456789abcdef0\"."
  }

  validation {
    condition     = length(distinct(var.subnet_ids)) == length(var.subnet_ids)
    error_message = "subnet_ids must not repeat a subnet."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups whose members may connect to the database port. Ingress is allowed from these and from allowed_cidr_blocks only."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    error_message = "Every allowed_security_group_ids entry must be a security group ID such as \"sg-0123456789abcdef0\"."
  }
}

variable "allowed_cidr_blocks" {
  description = "IPv4 or IPv6 CIDR blocks that may connect to the database port. Each must be a network address (e.g. \"10.20.0.0/16\"); /0 is refused."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.allowed_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "Every allowed_cidr_blocks entry must be a valid IPv4 or IPv6 CIDR block."
  }

  validation {
    condition     = alltrue([for c in var.allowed_cidr_blocks : try(cidrhost(c, 0) == split("/", c)[0], false)])
    error_message = "Every allowed_cidr_blocks entry must be written as its network address in canonical form, e.g. \"10.20.0.0/16\" rather than \"10.20.1.5/16\"."
  }

  validation {
    condition     = alltrue([for c in var.allowed_cidr_blocks : !endswith(c, "/0")])
    error_message = "allowed_cidr_blocks must not open the database to every address (/0)."
  }
}

################################################################################
# Authentication and encryption
################################################################################

variable "master_username" {
  description = "Master user name. Its password is generated and rotated by RDS in Secrets Manager (see output master_user_secret_arn)."
  type        = string
  default     = "dbadmin"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,15}$", var.master_username))
    error_message = "master_username must start with a letter and contain only letters, digits and underscores, at most 16 characters."
  }

  validation {
    condition     = !startswith(lower(var.master_username), "rds") && !contains(["admin", "root", "postgres", "mysql", "mariadb", "public", "user", "master"], lower(var.master_username))
    error_message = "master_username must not be a reserved or well-known name (rds*, admin, root, postgres, mysql, mariadb, public, user, master)."
  }
}

variable "iam_database_authentication_enabled" {
  description = "Allow IAM database authentication (database users mapped to IAM identities; see output iam_database_user_arn_prefix)."
  type        = bool
  default     = true
  nullable    = false
}

variable "kms_key_id" {
  description = "ARN of an existing KMS key for storage, snapshots, the master user secret, Performance Insights and the log groups. null creates a dedicated key with rotation. A key of your own must let CloudWatch Logs use it for the log groups."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_id == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_id))
    error_message = "kms_key_id must be the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period, 7-30 days, before a key created by the module is deleted after it is scheduled for deletion."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30 && floor(var.kms_key_deletion_window_in_days) == var.kms_key_deletion_window_in_days
    error_message = "kms_key_deletion_window_in_days must be a whole number from 7 to 30."
  }
}

variable "ca_cert_identifier" {
  description = "Certificate authority of the server certificate the instances present to TLS clients."
  type        = string
  default     = "rds-ca-rsa2048-g1"
  nullable    = false

  validation {
    condition     = contains(["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"], var.ca_cert_identifier)
    error_message = "ca_cert_identifier must be one of \"rds-ca-rsa2048-g1\", \"rds-ca-rsa4096-g1\" or \"rds-ca-ecc384-g1\"."
  }
}

################################################################################
# Protection, backup and maintenance
################################################################################

variable "deletion_protection" {
  description = "Refuse to delete the cluster or instance until this is turned off."
  type        = bool
  default     = true
  nullable    = false
}

variable "skip_final_snapshot" {
  description = "Delete without taking a final snapshot. Leave false outside throwaway environments."
  type        = bool
  default     = false
  nullable    = false
}

variable "final_snapshot_identifier" {
  description = "Name of the final snapshot taken on deletion. null uses \"<name>-final\"."
  type        = string
  default     = null

  validation {
    condition     = var.final_snapshot_identifier == null ? true : length(var.final_snapshot_identifier) <= 255 && can(regex("^[A-Za-z]([A-Za-z0-9]|-[A-Za-z0-9])*$", var.final_snapshot_identifier))
    error_message = "final_snapshot_identifier must start with a letter, contain only letters, digits and single hyphens, not end in a hyphen and be at most 255 characters."
  }
}

variable "delete_automated_backups" {
  description = "Delete the automated backups together with the database. false keeps them for their retention period, a last way back after an accidental deletion."
  type        = bool
  default     = false
  nullable    = false
}

variable "backup_retention_period" {
  description = "Days of automated backups and point-in-time recovery, 1-35."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.backup_retention_period >= 1 && var.backup_retention_period <= 35 && floor(var.backup_retention_period) == var.backup_retention_period
    error_message = "backup_retention_period must be a whole number of days from 1 to 35."
  }
}

variable "preferred_backup_window" {
  description = "Daily backup window in UTC, \"hh24:mi-hh24:mi\", at least 30 minutes, not overlapping the maintenance window."
  type        = string
  default     = "02:00-03:00"
  nullable    = false

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.preferred_backup_window))
    error_message = "preferred_backup_window must have the form \"hh24:mi-hh24:mi\" (UTC), e.g. \"02:00-03:00\"."
  }
}

variable "preferred_maintenance_window" {
  description = "Weekly maintenance window in UTC, \"ddd:hh24:mi-ddd:hh24:mi\", at least 30 minutes."
  type        = string
  default     = "sun:04:00-sun:05:00"
  nullable    = false

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.preferred_maintenance_window))
    error_message = "preferred_maintenance_window must have the form \"ddd:hh24:mi-ddd:hh24:mi\" (UTC, lowercase day), e.g. \"sun:04:00-sun:05:00\"."
  }
}

variable "backtrack_window" {
  description = "Seconds (0-259200) an Aurora MySQL cluster of deployment \"aurora\" can be rewound in place with Backtrack; 0 turns it off. Backtrack can only be switched on when the cluster is created and rules out binlog replication and global databases. Ignored for other engines and deployments."
  type        = number
  default     = 86400
  nullable    = false

  validation {
    condition     = var.backtrack_window >= 0 && var.backtrack_window <= 259200 && floor(var.backtrack_window) == var.backtrack_window
    error_message = "backtrack_window must be a whole number of seconds from 0 to 259200 (72 hours)."
  }
}

variable "copy_tags_to_snapshot" {
  description = "Copy the database's tags to its snapshots."
  type        = bool
  default     = true
  nullable    = false
}

variable "apply_immediately" {
  description = "Apply modifications at once instead of in the next maintenance window. Some modifications restart the database."
  type        = bool
  default     = false
  nullable    = false
}

################################################################################
# Logging and monitoring
################################################################################

variable "enabled_cloudwatch_logs_exports" {
  description = "Logs exported to CloudWatch Logs. null takes the engine's set: [\"audit\", \"error\", \"slowquery\"] for MySQL and MariaDB flavours, [\"postgresql\"] for PostgreSQL flavours. The module creates each log group, encrypted and with retention, before the database."
  type        = list(string)
  default     = null

  validation {
    condition     = var.enabled_cloudwatch_logs_exports == null ? true : length(var.enabled_cloudwatch_logs_exports) > 0 && length(distinct(var.enabled_cloudwatch_logs_exports)) == length(var.enabled_cloudwatch_logs_exports)
    error_message = "enabled_cloudwatch_logs_exports must list at least one log, each once (log export is always on)."
  }

  validation {
    condition = var.enabled_cloudwatch_logs_exports == null ? true : alltrue([
      for log in var.enabled_cloudwatch_logs_exports : contains(
        contains(["aurora-postgresql", "postgres"], var.engine) ? ["postgresql", "upgrade", "instance", "iam-db-auth-error"] : ["audit", "error", "general", "slowquery", "iam-db-auth-error"],
        log
      )
    ])
    error_message = "enabled_cloudwatch_logs_exports takes audit, error, general, slowquery and iam-db-auth-error for MySQL and MariaDB flavours, and postgresql, upgrade, instance and iam-db-auth-error for PostgreSQL flavours."
  }
}

variable "cloudwatch_log_group_retention_in_days" {
  description = "Days the exported logs are kept; one of the values CloudWatch Logs allows, 0 meaning forever."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.cloudwatch_log_group_retention_in_days)
    error_message = "cloudwatch_log_group_retention_in_days must be one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "audit_log_events" {
  description = "MySQL and MariaDB flavours: events the audit log records when \"audit\" is exported (Aurora MySQL server_audit_events, or the MARIADB_AUDIT_PLUGIN option for mysql and mariadb)."
  type        = list(string)
  default     = ["CONNECT", "QUERY_DCL", "QUERY_DDL"]
  nullable    = false

  validation {
    condition     = length(var.audit_log_events) > 0 && alltrue([for e in var.audit_log_events : contains(["CONNECT", "QUERY", "QUERY_DCL", "QUERY_DDL", "QUERY_DML"], e)])
    error_message = "audit_log_events must list one or more of CONNECT, QUERY, QUERY_DCL, QUERY_DDL and QUERY_DML."
  }
}

variable "slow_query_threshold_ms" {
  description = "Statements running at least this many milliseconds are logged: long_query_time (in seconds) with slow_query_log for MySQL and MariaDB flavours, log_min_duration_statement for PostgreSQL flavours."
  type        = number
  default     = 1000
  nullable    = false

  validation {
    condition     = var.slow_query_threshold_ms >= 0 && var.slow_query_threshold_ms <= 3600000 && floor(var.slow_query_threshold_ms) == var.slow_query_threshold_ms
    error_message = "slow_query_threshold_ms must be a whole number of milliseconds from 0 to 3600000."
  }
}

variable "log_statement" {
  description = "PostgreSQL flavours: which statements are logged regardless of duration (log_statement): \"none\", \"ddl\" (schema changes, the default), \"mod\" (also data changes) or \"all\"."
  type        = string
  default     = "ddl"
  nullable    = false

  validation {
    condition     = contains(["none", "ddl", "mod", "all"], var.log_statement)
    error_message = "log_statement must be \"none\", \"ddl\", \"mod\" or \"all\"."
  }
}

variable "monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds: 0 (off), 1, 5, 10, 15, 30 or 60."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30 or 60."
  }
}

variable "monitoring_role_arn" {
  description = "ARN of an existing IAM role that lets RDS publish Enhanced Monitoring metrics. null makes the module create one (when monitoring_interval > 0)."
  type        = string
  default     = null

  validation {
    condition     = var.monitoring_role_arn == null ? true : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.monitoring_role_arn))
    error_message = "monitoring_role_arn must be the ARN of an IAM role."
  }
}

variable "performance_insights_enabled" {
  description = "Turn on Performance Insights, encrypted with the module's KMS key."
  type        = bool
  default     = true
  nullable    = false
}

variable "performance_insights_retention_period" {
  description = "Days Performance Insights data is kept: 7 (free tier) or a multiple of 31 up to 731."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.performance_insights_retention_period == 7 || (var.performance_insights_retention_period >= 31 && var.performance_insights_retention_period <= 731 && var.performance_insights_retention_period % 31 == 0)
    error_message = "performance_insights_retention_period must be 7 or a multiple of 31 from 31 to 731."
  }
}

################################################################################
# Parameters
################################################################################

variable "cluster_parameters" {
  description = "Extra DB cluster parameters (Aurora deployments only), applied after the ones the module enforces. The enforced TLS and logging parameters cannot be named here: TLS is not negotiable, and logging is tuned with slow_query_threshold_ms, log_statement and audit_log_events."
  type = list(object({
    name         = string
    value        = string
    apply_method = optional(string, "pending-reboot")
  }))
  default  = []
  nullable = false

  validation {
    condition     = var.deployment != "instance" || length(var.cluster_parameters) == 0
    error_message = "cluster_parameters apply to the Aurora deployments only; use db_parameters for deployment \"instance\"."
  }

  validation {
    condition     = alltrue([for p in var.cluster_parameters : !contains(["require_secure_transport", "rds.force_ssl"], lower(p.name))])
    error_message = "cluster_parameters must not set require_secure_transport or rds.force_ssl: the module enforces TLS."
  }

  validation {
    condition     = alltrue([for p in var.cluster_parameters : !contains(["slow_query_log", "long_query_time", "log_output", "server_audit_logging", "server_audit_events", "log_min_duration_statement", "log_statement"], lower(p.name))])
    error_message = "cluster_parameters must not set the logging parameters the module manages: use slow_query_threshold_ms (slow_query_log, long_query_time, log_min_duration_statement), log_statement, audit_log_events (server_audit_events) and enabled_cloudwatch_logs_exports (server_audit_logging); log_output stays FILE for the log exports."
  }

  validation {
    condition     = length(distinct([for p in var.cluster_parameters : lower(p.name)])) == length(var.cluster_parameters)
    error_message = "cluster_parameters must name each parameter once."
  }

  validation {
    condition     = alltrue([for p in var.cluster_parameters : contains(["immediate", "pending-reboot"], p.apply_method)])
    error_message = "apply_method must be \"immediate\" or \"pending-reboot\"."
  }
}

variable "db_parameters" {
  description = "Extra DB (instance-level) parameters, applied after the ones the module enforces. The enforced TLS and logging parameters cannot be named here: TLS is not negotiable, and logging is tuned with slow_query_threshold_ms, log_statement and audit_log_events."
  type = list(object({
    name         = string
    value        = string
    apply_method = optional(string, "pending-reboot")
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for p in var.db_parameters : !contains(["require_secure_transport", "rds.force_ssl"], lower(p.name))])
    error_message = "db_parameters must not set require_secure_transport or rds.force_ssl: the module enforces TLS."
  }

  validation {
    condition     = alltrue([for p in var.db_parameters : !contains(["slow_query_log", "long_query_time", "log_output", "server_audit_logging", "server_audit_events", "log_min_duration_statement", "log_statement"], lower(p.name))])
    error_message = "db_parameters must not set the logging parameters the module manages: use slow_query_threshold_ms (slow_query_log, long_query_time, log_min_duration_statement), log_statement, audit_log_events (server_audit_events) and enabled_cloudwatch_logs_exports (server_audit_logging); log_output stays FILE for the log exports."
  }

  validation {
    condition     = length(distinct([for p in var.db_parameters : lower(p.name)])) == length(var.db_parameters)
    error_message = "db_parameters must name each parameter once."
  }

  validation {
    condition     = alltrue([for p in var.db_parameters : contains(["immediate", "pending-reboot"], p.apply_method)])
    error_message = "apply_method must be \"immediate\" or \"pending-reboot\"."
  }
}

################################################################################
# Tags
################################################################################

variable "tags" {
  description = "Tags applied to every resource the module creates that takes tags (and copied to snapshots)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "Tag keys must be 1-128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}
