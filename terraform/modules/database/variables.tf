variable "name" {
  description = "Identifier prefix of the clusters, instances and groups: a DNS label starting with a letter, at most 50 characters."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,48}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "The name must be lower-case letters, digits and single '-', start with a letter, at most 50 characters."
  }
}

variable "engine_version" {
  description = "PostgreSQL version: a major (\"15\") or a full version (\"15.4\"). For Aurora a major is mapped through aurora_engine_versions; RDS takes a major as it is."
  type        = string
  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.engine_version))
    error_message = "The engine version is a PostgreSQL major (15) or major.minor (15.4)."
  }
}

variable "aurora_engine_versions" {
  description = "Aurora PostgreSQL version used for each major version given as engine_version."
  type        = map(string)
  default = {
    "13" = "13.18"
    "14" = "14.15"
    "15" = "15.10"
    "16" = "16.6"
    "17" = "17.4"
  }
}

variable "topology" {
  description = "aurora-global: an Aurora global database (writer cluster in the primary region, read-only cluster in the secondary); rds-replica: an RDS instance with a cross-region read replica."
  type        = string
  validation {
    condition     = contains(["aurora-global", "rds-replica"], var.topology)
    error_message = "The topology must be aurora-global or rds-replica."
  }
}

variable "instance_class" {
  description = "Instance class of every instance, e.g. db.r6g.large (Aurora global needs an r-class) or db.t4g.medium."
  type        = string
  validation {
    condition     = can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "The instance class looks like db.r6g.large."
  }
}

variable "instances" {
  description = "Aurora instances per region (aurora-global), 1 to 16."
  type        = number
  default     = 1
  validation {
    condition     = var.instances >= 1 && var.instances <= 16 && floor(var.instances) == var.instances
    error_message = "instances is a whole number from 1 to 16."
  }
}

variable "allocated_storage_gb" {
  description = "Storage of each RDS instance in GiB (rds-replica; gp3, at least 20). Aurora storage grows by itself."
  type        = number
  default     = 20
  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb is from 20 to 65536."
  }
}

variable "multi_az" {
  description = "rds-replica: a standby in a second zone for the primary and for the replica. Aurora spreads its instances over the zones anyway."
  type        = bool
  default     = false
}

variable "database_name" {
  description = "Name of the database created at first."
  type        = string
  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.database_name))
    error_message = "The database name starts with a letter and holds letters, digits and '_', at most 63 characters."
  }
}

variable "master_username" {
  description = "The master user's name: 1 to 16 letters, digits or '_', starting with a letter (the limits of Aurora and RDS together)."
  type        = string
  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,15}$", var.master_username)) && lower(var.master_username) != "rdsadmin"
    error_message = "The master user name is 1 to 16 letters, digits or '_', starts with a letter and is not rdsadmin."
  }
}

variable "master_password_wo" {
  description = <<-EOT
    The master password, required for both topologies. Ephemeral, and passed only
    to the write-only arguments master_password_wo (Aurora) / password_wo (RDS),
    so it is in no plan and no state. The rendered root module takes it from its
    ephemeral variable db_master_password, which the operator supplies at
    plan/apply time as TF_VAR_db_master_password. (AWS cannot manage the password
    of a cluster in a global database, nor of an RDS instance that has read
    replicas, so neither topology can use manage_master_user_password.)
  EOT
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
  validation {
    condition     = var.master_password_wo != null
    error_message = "The database needs master_password_wo: AWS manages no password for a global cluster nor for an RDS instance with read replicas. In the rendered root module pass var.db_master_password and set TF_VAR_db_master_password."
  }
  validation {
    condition     = var.master_password_wo == null || can(regex("^[!#-.0-?A-~]{8,}$", coalesce(var.master_password_wo, "x")))
    error_message = "The master password has at least 8 printable ASCII characters and no space, '/', '\"' or '@'."
  }
  validation {
    condition     = var.master_password_wo == null || length(coalesce(var.master_password_wo, "x")) <= (var.topology == "aurora-global" ? 41 : 128)
    error_message = "The master password is too long: at most 41 characters for Aurora, 128 for RDS PostgreSQL."
  }
}

variable "master_password_wo_version" {
  description = "Bump to send a new master_password_wo to the database: Terraform sends a write-only value only on create and when this changes."
  type        = number
  default     = 1
}

variable "primary_subnet_group" {
  description = "DB subnet group in the primary region (network module's database_subnet_group_name)."
  type        = string
}

variable "secondary_subnet_group" {
  description = "DB subnet group in the secondary region."
  type        = string
}

variable "primary_vpc_id" {
  description = "VPC of the primary region, for the security group."
  type        = string
}

variable "secondary_vpc_id" {
  description = "VPC of the secondary region, for the security group."
  type        = string
}

variable "primary_allowed_cidrs" {
  description = "Networks that may connect to the primary region's database on its port (usually the VPC's network)."
  type        = list(string)
  validation {
    condition     = alltrue([for c in var.primary_allowed_cidrs : can(cidrnetmask(c))])
    error_message = "Every allowed network is an IPv4 CIDR."
  }
}

variable "secondary_allowed_cidrs" {
  description = "Networks that may connect to the secondary region's database on its port."
  type        = list(string)
  validation {
    condition     = alltrue([for c in var.secondary_allowed_cidrs : can(cidrnetmask(c))])
    error_message = "Every allowed network is an IPv4 CIDR."
  }
}

variable "primary_zone_id" {
  description = "Private Route 53 zone of the primary region (network module's private_zone_id), for the database's CNAME."
  type        = string
}

variable "secondary_zone_id" {
  description = "Private Route 53 zone of the secondary region."
  type        = string
}

variable "record_name" {
  description = "Name of the CNAME in each region's private zone, e.g. db: the writer in the primary region, the replica in the secondary."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.record_name))
    error_message = "The record name is one DNS label."
  }
}

variable "record_ttl" {
  description = "TTL of the CNAMEs, in seconds."
  type        = number
  default     = 30
}

variable "port" {
  description = "PostgreSQL's port."
  type        = number
  default     = 5432
}

variable "deletion_protection" {
  description = "Refuse to delete the databases; also decides the final snapshot unless skip_final_snapshot is set."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Skip the final snapshot on destroy; null: skip it exactly when deletion_protection is off (throw-away environments)."
  type        = bool
  default     = null
}

variable "backup_retention_days" {
  description = "Days of automated backups, 1 to 35 (read replicas and Aurora need at least 1)."
  type        = number
  default     = 7
  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days is from 1 to 35."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
