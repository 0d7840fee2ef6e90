# A multi-region KMS key with its replica in the secondary region, and one
# Secrets Manager secret per name, replicated to the secondary region under
# the replica key. No values: they are put in out of band (never with an
# aws_secretsmanager_secret_version here), so no value is ever in a
# rendered file, a plan or the state.

# The secondary provider's region, from its configuration (no API call).
data "aws_region" "secondary" {
  provider = aws.secondary
}

locals {
  # a short recovery window for secrets means a short one for their key too
  key_deletion_days = var.recovery_window_in_days == 0 ? 7 : 30
}

resource "aws_kms_key" "this" {
  provider                = aws.primary
  description             = "secrets of ${var.name}"
  multi_region            = true
  enable_key_rotation     = true
  deletion_window_in_days = local.key_deletion_days
  tags                    = merge(var.tags, { Name = "${var.name}-secrets" })
}

resource "aws_kms_alias" "primary" {
  provider      = aws.primary
  name          = "alias/${var.name}-secrets"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_kms_replica_key" "secondary" {
  provider                = aws.secondary
  description             = "secrets of ${var.name} (replica)"
  primary_key_arn         = aws_kms_key.this.arn
  deletion_window_in_days = local.key_deletion_days
  tags                    = merge(var.tags, { Name = "${var.name}-secrets" })
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
  description             = "${each.value} of ${var.name}; the value is set out of band"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.recovery_window_in_days

  replica {
    region     = data.aws_region.secondary.name
    kms_key_id = aws_kms_replica_key.secondary.arn
  }

  tags = merge(var.tags, { Name = "${var.name}/${each.value}" })
}
