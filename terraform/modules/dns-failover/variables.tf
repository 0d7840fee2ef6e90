variable "zone_id" {
  description = "The public hosted zone that holds the record (given by the environment definition)."
  type        = string
  validation {
    condition     = can(regex("^Z[A-Z0-9]{1,31}$", var.zone_id))
    error_message = "The zone id looks like Z0123456789EXAMPLE."
  }
}

variable "record_name" {
  description = "The name clients use, a FQDN without trailing dot, e.g. test-feature-x.observatory.example.com."
  type        = string
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.record_name))
    error_message = "The record name is a lower-case FQDN without trailing dot."
  }
}

variable "primary_target" {
  description = "FQDN of the primary region's endpoint, e.g. eu-west-1.test-feature-x.observatory.example.com."
  type        = string
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.primary_target))
    error_message = "The primary target is a lower-case FQDN without trailing dot."
  }
}

variable "secondary_target" {
  description = "FQDN of the secondary region's endpoint."
  type        = string
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.secondary_target))
    error_message = "The secondary target is a lower-case FQDN without trailing dot."
  }
}

variable "health_check_path" {
  description = "Path the health checks request, e.g. /healthz."
  type        = string
  default     = "/healthz"
  validation {
    condition     = startswith(var.health_check_path, "/") && length(var.health_check_path) <= 255
    error_message = "The health check path starts with '/' and has at most 255 characters."
  }
}

variable "health_check_port" {
  description = "Port the health checks connect to: 443 checks HTTPS (with SNI), any other port plain HTTP."
  type        = number
  default     = 443
  validation {
    condition     = var.health_check_port >= 1 && var.health_check_port <= 65535
    error_message = "The health check port is from 1 to 65535."
  }
}

variable "failure_threshold" {
  description = "Consecutive failed checks before an endpoint counts as down (1 to 10)."
  type        = number
  default     = 3
  validation {
    condition     = var.failure_threshold >= 1 && var.failure_threshold <= 10
    error_message = "Route 53 takes a failure threshold from 1 to 10."
  }
}

variable "request_interval" {
  description = "Seconds between health checks: 10 (fast) or 30 (standard)."
  type        = number
  default     = 30
  validation {
    condition     = contains([10, 30], var.request_interval)
    error_message = "Route 53 checks every 10 or 30 seconds."
  }
}

variable "ttl" {
  description = "TTL of the failover records, in seconds; keep it short so clients follow a failover."
  type        = number
  default     = 60
  validation {
    condition     = var.ttl >= 0 && var.ttl <= 86400
    error_message = "The TTL is from 0 to 86400 seconds."
  }
}

variable "tags" {
  description = "Tags for the health checks (records take none)."
  type        = map(string)
  default     = {}
}
