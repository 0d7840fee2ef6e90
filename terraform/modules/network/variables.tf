variable "name" {
  description = "Name prefix of every resource (a DNS label), e.g. observatory-test-feature-x-primary."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.name))
    error_message = "The name must be a DNS label: lower-case letters, digits and '-', at most 63 characters."
  }
}

variable "cidr" {
  description = "The VPC's IPv4 network, e.g. 10.10.0.0/16 (a /16 to /28)."
  type        = string
  validation {
    condition     = can(cidrnetmask(var.cidr)) && can(regex("/(1[6-9]|2[0-8])$", var.cidr))
    error_message = "The cidr must be an IPv4 network between /16 and /28, such as 10.10.0.0/16."
  }
}

variable "azs" {
  description = "Exactly two availability zones of the provider's region, e.g. [\"eu-west-1a\", \"eu-west-1b\"]."
  type        = list(string)
  validation {
    condition     = length(var.azs) == 2 && length(distinct(var.azs)) == 2
    error_message = "Give exactly two different availability zones."
  }
}

variable "public_subnets" {
  description = "One public subnet per zone (same order as azs); the NAT gateways and public load balancers live here."
  type        = list(string)
  validation {
    condition     = length(var.public_subnets) == 2 && alltrue([for c in var.public_subnets : can(cidrnetmask(c))])
    error_message = "Give exactly two IPv4 networks, one per zone."
  }
}

variable "private_subnets" {
  description = "One private subnet per zone (same order as azs), for the cluster's nodes; routed out through NAT."
  type        = list(string)
  validation {
    condition     = length(var.private_subnets) == 2 && alltrue([for c in var.private_subnets : can(cidrnetmask(c))])
    error_message = "Give exactly two IPv4 networks, one per zone."
  }
}

variable "database_subnets" {
  description = "One database subnet per zone (same order as azs); no route out of the VPC."
  type        = list(string)
  validation {
    condition     = length(var.database_subnets) == 2 && alltrue([for c in var.database_subnets : can(cidrnetmask(c))])
    error_message = "Give exactly two IPv4 networks, one per zone."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for both zones (cheaper, for scaled-down environments) instead of one per zone."
  type        = bool
  default     = false
}

variable "private_zone_name" {
  description = "Name of the private Route 53 zone associated with the VPC, e.g. observatory-test-feature-x.internal."
  type        = string
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$", var.private_zone_name))
    error_message = "The private zone name must be a lower-case DNS name with at least two labels, without a trailing dot."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
