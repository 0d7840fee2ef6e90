variable "name" {
  description = "Identifier prefix, a DNS label starting with a letter."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version: a major (\"15\") or a full version (\"15.4\")."
  type        = string
}

variable "topology" {
  description = "aurora-global: an Aurora global database; rds-replica: RDS with a cross-region read replica."
  type        = string
  validation {
    condition     = contains(["aurora-global", "rds-replica"], var.topology)
    error_message = "The topology must be aurora-global or rds-replica."
  }
}

variable "instance_class" {
  type = string
}

variable "instances" {
  description = "Aurora instances per region."
  type        = number
  default     = 1
}

variable "allocated_storage_gb" {
  description = "Storage of RDS instances (rds-replica)."
  type        = number
  default     = 20
}

variable "multi_az" {
  type    = bool
  default = false
}

variable "database_name" {
  type = string
}

variable "master_username" {
  type = string
}

variable "master_password_wo" {
  description = "Aurora global only: the master password, write-only (never in state). AWS does not manage passwords of global clusters."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "primary_subnet_group" {
  type = string
}

variable "secondary_subnet_group" {
  type = string
}

variable "primary_vpc_id" {
  type = string
}

variable "secondary_vpc_id" {
  type = string
}

variable "primary_allowed_cidrs" {
  description = "Who may connect to the primary region's database on its port."
  type        = list(string)
}

variable "secondary_allowed_cidrs" {
  type = list(string)
}

variable "primary_zone_id" {
  description = "Private zone of the primary region, for the database's name."
  type        = string
}

variable "secondary_zone_id" {
  type = string
}

variable "record_name" {
  description = "Name of the CNAME in each region's private zone, e.g. db."
  type        = string
}

variable "port" {
  type    = number
  default = 5432
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "backup_retention_days" {
  type    = number
  default = 7
}

variable "tags" {
  type    = map(string)
  default = {}
}
