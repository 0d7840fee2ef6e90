variable "name" {
  description = "The EKS cluster's name, e.g. observatory-test-feature-x-primary."
  type        = string
  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,99}$", var.name))
    error_message = "The cluster name must start with a letter and hold only letters, digits and '-', at most 100 characters."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and the nodes, e.g. 1.31."
  type        = string
  validation {
    condition     = can(regex("^1\\.[0-9]+$", var.kubernetes_version))
    error_message = "The Kubernetes version is a minor version such as 1.31."
  }
}

variable "subnet_ids" {
  description = "Private subnets (at least two zones) for the control plane's network interfaces and the nodes."
  type        = list(string)
  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "EKS needs subnets in at least two availability zones."
  }
}

variable "node_instance_types" {
  description = "Instance types of the managed node group, e.g. [\"t3.medium\"]."
  type        = list(string)
  validation {
    condition     = length(var.node_instance_types) >= 1
    error_message = "Give at least one instance type."
  }
}

variable "node_min" {
  description = "Smallest size of the node group."
  type        = number
  validation {
    condition     = var.node_min >= 0 && floor(var.node_min) == var.node_min
    error_message = "node_min is a whole number, 0 or more."
  }
}

variable "node_max" {
  description = "Largest size of the node group (at least node_min, at least 1)."
  type        = number
  validation {
    condition     = var.node_max >= 1 && floor(var.node_max) == var.node_max
    error_message = "node_max is a whole number, 1 or more."
  }
}

variable "node_desired" {
  description = "Initial size of the node group, between node_min and node_max. Later changes are left to the cluster autoscaler."
  type        = number
  validation {
    condition     = var.node_desired >= 1 && floor(var.node_desired) == var.node_desired
    error_message = "A cluster needs at least one node."
  }
}

variable "capacity_type" {
  description = "ON_DEMAND or SPOT capacity for the node group."
  type        = string
  default     = "ON_DEMAND"
  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.capacity_type)
    error_message = "The capacity type is ON_DEMAND or SPOT."
  }
}

variable "public_access_cidrs" {
  description = "Networks that may reach the public API endpoint."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "secrets_kms_key_arn" {
  description = "Optional KMS key to envelope-encrypt Kubernetes secrets with; null leaves EKS's default encryption."
  type        = string
  default     = null
}

variable "cluster_log_types" {
  description = "Control-plane logs sent to CloudWatch."
  type        = list(string)
  default     = ["api", "audit", "authenticator"]
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
