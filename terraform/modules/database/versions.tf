terraform {
  # ephemeral variables (1.10) and write-only arguments (1.11)
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # master_password_wo of aws_rds_cluster
      version               = ">= 5.88, < 6.0"
      configuration_aliases = [aws.primary, aws.secondary]
    }
  }
}
