variable "name" {
  description = "The cluster's name."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version, e.g. 1.31."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the control plane's interfaces and the nodes."
  type        = list(string)
}

variable "node_instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
}

variable "node_min" {
  type = number
}

variable "node_max" {
  type = number
}

variable "node_desired" {
  type = number
  validation {
    condition     = var.node_desired >= 1
    error_message = "A cluster needs at least one node."
  }
}

variable "tags" {
  type    = map(string)
  default = {}
}
