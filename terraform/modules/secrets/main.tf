# A multi-region KMS key, and one Secrets Manager secret per name, each
# replicated to the secondary region under the key's replica there. No
# values: they are put in out of band, never through Terraform, so they are
# never in any file or in state.

resource "aws_kms_key" "this" {
  provider                = aws.primary
  description             = "secrets of ${var.name}"
  multi_region            = true
  enable_key_rotation     = true
  deletion_window_in_days = 7
  tags                    = var.tags
}

resource "aws_kms_alias" "primary" {
  provider      = aws.primary
  name          = "alias/${var.name}-secrets"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_kms_replica_key" "secondary" {
  provider                = aws.secondary
  description             = "secrets of ${var.name}"
  primary_key_arn         = aws_kms_key.this.arn
  deletion_window_in_days = 7
  tags                    = var.tags
}

resource "aws_kms_alias" "secondary" {
  provider      = aws.secondary
  name          = "alias/${var.name}-secrets"
  target_key_id = aws_kms_replica_key.secondary.key_id
}

resource "aws_secretsmanager_secret" "this" {
  provider                = aws.primary
  for_each                = toset(var.secret_names)
  name                    = "${var.name}/${each.value}"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.recovery_window_in_days

  replica {
    region     = split(":", aws_kms_replica_key.secondary.arn)[3]
    kms_key_id = aws_kms_replica_key.secondary.arn
  }

  tags = var.tags
}
