output "primary_bucket" {
  description = "Name of the primary region's bucket."
  value       = module.primary.id
}

output "secondary_bucket" {
  description = "Name of the replica bucket in the secondary region."
  value       = module.secondary.id
}

output "primary_bucket_arn" {
  description = "ARN of the primary bucket."
  value       = module.primary.arn
}

output "secondary_bucket_arn" {
  description = "ARN of the replica bucket."
  value       = module.secondary.arn
}

output "replication_role_arn" {
  description = "IAM role S3 replicates with."
  value       = aws_iam_role.replication.arn
}
