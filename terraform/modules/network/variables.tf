variable "name" {
  description = "Name prefix of every resource, a DNS label."
  type        = string
}

variable "cidr" {
  description = "The VPC's network, e.g. 10.10.0.0/16."
  type        = string
  validation {
    condition     = can(cidrhost(var.cidr, 0))
    error_message = "The cidr must be an IPv4 network such as 10.10.0.0/16."
  }
}

variable "azs" {
  description = "Exactly two availability zones."
  type        = list(string)
  validation {
    condition     = length(var.azs) == 2
    error_message = "Give exactly two availability zones."
  }
}

variable "public_subnets" {
  description = "One public subnet per zone."
  type        = list(string)
}

variable "private_subnets" {
  description = "One private subnet per zone, for the cluster's nodes."
  type        = list(string)
}

variable "database_subnets" {
  description = "One database subnet per zone."
  type        = list(string)
}

variable "single_nat_gateway" {
  description = "One NAT gateway for both zones (cheaper, for scaled-down environments) instead of one per zone."
  type        = bool
  default     = false
}

variable "private_zone_name" {
  description = "Name of the private Route 53 zone associated with the VPC, e.g. env.internal."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
