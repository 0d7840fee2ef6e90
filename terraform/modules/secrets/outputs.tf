output "kms_key_arn" {
  description = "The multi-region KMS key in the primary region."
  value       = aws_kms_key.this.arn
}

output "secondary_kms_key_arn" {
  description = "Its replica in the secondary region."
  value       = aws_kms_replica_key.secondary.arn
}

output "secret_arns" {
  description = "Secret name (as given in secret_names) -> ARN of the secret in the primary region."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}

output "secret_names" {
  description = "Secret name (as given) -> full name in Secrets Manager (the same in both regions)."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.name }
}
