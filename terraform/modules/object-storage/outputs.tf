output "primary_bucket" {
  description = "Name of the primary region's bucket."
  value       = aws_s3_bucket.primary.bucket
}

output "secondary_bucket" {
  description = "Name of the replica bucket in the secondary region."
  value       = aws_s3_bucket.secondary.bucket
}

output "primary_bucket_arn" {
  description = "ARN of the primary bucket."
  value       = aws_s3_bucket.primary.arn
}

output "secondary_bucket_arn" {
  description = "ARN of the replica bucket."
  value       = aws_s3_bucket.secondary.arn
}

output "replication_role_arn" {
  description = "IAM role S3 replicates with."
  value       = aws_iam_role.replication.arn
}
