output "primary_endpoint" {
  description = "Host name of the writer: the Aurora primary cluster's endpoint, or the RDS primary's address."
  value       = local.primary_endpoint
}

output "secondary_endpoint" {
  description = "Host name of the read-only side in the secondary region: the secondary cluster's reader endpoint, or the replica's address."
  value       = local.secondary_endpoint
}

output "port" {
  description = "PostgreSQL's port."
  value       = var.port
}

output "master_user_secret_arn" {
  description = "Always null: AWS cannot manage the master password in either topology (see README.md); the operator keeps it, e.g. in the secrets module's secret for the database password."
  value       = null
}

output "primary_record_fqdn" {
  description = "The CNAME in the primary region's private zone."
  value       = module.primary.record_fqdn
}

output "secondary_record_fqdn" {
  description = "The CNAME in the secondary region's private zone."
  value       = module.secondary.record_fqdn
}

output "primary_security_group_id" {
  description = "Security group of the primary region's database."
  value       = module.primary.security_group_id
}

output "secondary_security_group_id" {
  description = "Security group of the secondary region's database."
  value       = module.secondary.security_group_id
}

output "global_cluster_id" {
  description = "aurora-global: the global cluster's identifier (for a managed failover); null for rds-replica."
  value       = local.aurora ? aws_rds_global_cluster.this[0].id : null
}
