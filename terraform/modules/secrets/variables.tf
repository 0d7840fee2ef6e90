variable "name" {
  description = "Prefix of every secret's name."
  type        = string
}

variable "secret_names" {
  description = "The secrets to create, e.g. [\"api-secrets/DB_PASSWORD\"]; their values are put in out of band."
  type        = list(string)
}

variable "recovery_window_in_days" {
  description = "0 deletes at once (throw-away environments); otherwise 7 to 30."
  type        = number
  default     = 30
}

variable "tags" {
  type    = map(string)
  default = {}
}
