# Two versioned, encrypted, private buckets, one per region, with every
# object written to the primary replicated to the secondary (including
# delete markers), and TLS required for every request to either.

locals {
  buckets = {
    primary   = "${var.name}-${var.primary_region}"
    secondary = "${var.name}-${var.secondary_region}"
  }
}

# --- the buckets --------------------------------------------------------------

module "primary" {
  source    = "./bucket"
  providers = { aws = aws.primary }

  bucket                             = local.buckets.primary
  force_destroy                      = var.force_destroy
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  tags                               = var.tags
}

module "secondary" {
  source    = "./bucket"
  providers = { aws = aws.secondary }

  bucket                             = local.buckets.secondary
  force_destroy                      = var.force_destroy
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  tags                               = var.tags
}

# --- replication --------------------------------------------------------------

resource "aws_iam_role" "replication" {
  provider    = aws.primary
  name_prefix = "${substr(var.name, 0, 30)}-repl-"
  description = "S3 replication ${local.buckets.primary} -> ${local.buckets.secondary}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "replication" {
  provider = aws.primary
  name     = "replicate-to-${var.secondary_region}"
  role     = aws_iam_role.replication.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
        Resource = [module.primary.arn]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
        Resource = ["${module.primary.arn}/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
        Resource = ["${module.secondary.arn}/*"]
      },
    ]
  })
}

resource "aws_s3_bucket_replication_configuration" "this" {
  provider = aws.primary
  bucket   = module.primary.id
  role     = aws_iam_role.replication.arn

  rule {
    id     = "to-${var.secondary_region}"
    status = "Enabled"
    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    destination {
      bucket        = module.secondary.arn
      storage_class = "STANDARD"
    }
  }

  # replication needs versioning on both sides first
  depends_on = [module.primary, module.secondary]
}
