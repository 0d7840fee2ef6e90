output "primary_endpoint" {
  value = local.primary_endpoint
}

output "secondary_endpoint" {
  value = local.secondary_endpoint
}

output "port" {
  value = var.port
}

output "master_user_secret_arn" {
  description = "The Secrets Manager secret RDS manages (rds-replica); null for Aurora global."
  value       = local.aurora ? null : aws_db_instance.primary[0].master_user_secret[0].secret_arn
}
