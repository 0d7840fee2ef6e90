variable "bucket" {
  description = "The bucket's full name, e.g. observatory-main-data-eu-west-1."
  type        = string
  validation {
    condition     = length(var.bucket) >= 3 && length(var.bucket) <= 63
    error_message = "A bucket name is 3 to 63 characters."
  }
}

variable "force_destroy" {
  description = "Let a destroy remove the bucket while it still holds objects."
  type        = bool
}

variable "noncurrent_version_expiration_days" {
  description = "Delete object versions this many days after they stop being current; null keeps them."
  type        = number
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
}
