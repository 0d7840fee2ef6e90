output "kms_key_arn" {
  value = aws_kms_key.this.arn
}

output "secondary_kms_key_arn" {
  value = aws_kms_replica_key.secondary.arn
}

output "secret_arns" {
  value = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}
