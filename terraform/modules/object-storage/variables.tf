variable "name" {
  description = "Bucket name prefix; the buckets are <name>-<region>."
  type        = string
}

variable "primary_region" {
  type = string
}

variable "secondary_region" {
  type = string
}

variable "force_destroy" {
  description = "Let a destroy remove buckets that still hold objects (throw-away environments)."
  type        = bool
  default     = false
}

variable "tags" {
  type    = map(string)
  default = {}
}
