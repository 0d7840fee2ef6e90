variable "name" {
  description = "Prefix of every secret's name and of the KMS aliases, e.g. observatory-test-feature-x."
  type        = string
  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,199}$", var.name))
    error_message = "The prefix holds letters, digits, '-' and '_'."
  }
}

variable "secret_names" {
  description = "The secrets to create, e.g. [\"api-secrets/DB_PASSWORD\"], each as <name>/<secret_name>. Their values are put in out of band, never through Terraform."
  type        = list(string)
  validation {
    condition     = alltrue([for s in var.secret_names : can(regex("^[a-zA-Z0-9/_+=.@-]{1,400}$", s))]) && length(distinct(var.secret_names)) == length(var.secret_names)
    error_message = "Secret names are distinct and hold letters, digits and /_+=.@- only."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored: 0 deletes at once (throw-away environments), otherwise 7 to 30."
  type        = number
  default     = 30
  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "The recovery window is 0 or from 7 to 30 days."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
