variable "zone_id" {
  description = "The public hosted zone that holds the record."
  type        = string
}

variable "record_name" {
  description = "The name clients use, e.g. env.observatory.example.com."
  type        = string
}

variable "primary_target" {
  description = "The primary region's endpoint (a DNS name)."
  type        = string
}

variable "secondary_target" {
  type = string
}

variable "health_check_path" {
  type    = string
  default = "/healthz"
}

variable "health_check_port" {
  type    = number
  default = 443
}

variable "failure_threshold" {
  type    = number
  default = 3
}

variable "request_interval" {
  description = "Seconds between health checks: 10 or 30."
  type        = number
  default     = 30
  validation {
    condition     = contains([10, 30], var.request_interval)
    error_message = "Route 53 checks every 10 or 30 seconds."
  }
}

variable "ttl" {
  type    = number
  default = 60
}

variable "tags" {
  type    = map(string)
  default = {}
}
