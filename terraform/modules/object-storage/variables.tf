variable "name" {
  description = "Bucket name prefix: the buckets are <name>-<primary_region> and <name>-<secondary_region>."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,46}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "The bucket prefix is lower-case letters, digits and single '-', 3 to 48 characters, so that <name>-<region> is a valid bucket name."
  }
}

variable "primary_region" {
  description = "Region of the aws.primary provider, e.g. eu-west-1 (used in the primary bucket's name)."
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.primary_region))
    error_message = "The region looks like eu-west-1."
  }
}

variable "secondary_region" {
  description = "Region of the aws.secondary provider, e.g. eu-central-1 (used in the replica bucket's name)."
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.secondary_region))
    error_message = "The region looks like eu-central-1."
  }
}

variable "force_destroy" {
  description = "Let a destroy remove buckets that still hold objects (throw-away environments)."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Delete object versions this many days after they stop being current, in both buckets; null keeps them for ever."
  type        = number
  default     = null
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
