variable "name" {
  description = "Identifier prefix, as the parent's name."
  type        = string
}

variable "vpc_id" {
  description = "The region's VPC."
  type        = string
}

variable "port" {
  description = "PostgreSQL's port."
  type        = number
}

variable "allowed_cidrs" {
  description = "Who may connect to the port."
  type        = list(string)
}

variable "zone_id" {
  description = "The region's private hosted zone."
  type        = string
}

variable "record_name" {
  description = "CNAME label in the zone."
  type        = string
}

variable "record_ttl" {
  description = "TTL of the CNAME, seconds."
  type        = number
}

variable "endpoint" {
  description = "The host name the CNAME points at: the database's endpoint in this region."
  type        = string
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
}
