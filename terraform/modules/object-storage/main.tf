# Two versioned, encrypted, private buckets, one per region, with every
# object written to the primary replicated to the secondary (including
# delete markers), and TLS required for every request to either.

locals {
  buckets = {
    primary   = "${var.name}-${var.primary_region}"
    secondary = "${var.name}-${var.secondary_region}"
  }
}

# --- primary ------------------------------------------------------------------

resource "aws_s3_bucket" "primary" {
  provider      = aws.primary
  bucket        = local.buckets.primary
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Name = local.buckets.primary })

  lifecycle {
    precondition {
      condition     = length(local.buckets.primary) <= 63
      error_message = "The bucket name ${local.buckets.primary} is longer than 63 characters."
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "primary" {
  provider = aws.primary
  bucket   = aws_s3_bucket.primary.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "primary" {
  provider = aws.primary
  bucket   = aws_s3_bucket.primary.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "primary" {
  provider = aws.primary
  bucket   = aws_s3_bucket.primary.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "primary" {
  provider                = aws.primary
  bucket                  = aws_s3_bucket.primary.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "primary" {
  provider = aws.primary
  bucket   = aws_s3_bucket.primary.id
  policy   = local.tls_only_policy.primary

  depends_on = [aws_s3_bucket_public_access_block.primary]
}

resource "aws_s3_bucket_lifecycle_configuration" "primary" {
  count    = var.noncurrent_version_expiration_days == null ? 0 : 1
  provider = aws.primary
  bucket   = aws_s3_bucket.primary.id
  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.primary]
}

# --- secondary (the replica) --------------------------------------------------

resource "aws_s3_bucket" "secondary" {
  provider      = aws.secondary
  bucket        = local.buckets.secondary
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Name = local.buckets.secondary })

  lifecycle {
    precondition {
      condition     = length(local.buckets.secondary) <= 63
      error_message = "The bucket name ${local.buckets.secondary} is longer than 63 characters."
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "secondary" {
  provider = aws.secondary
  bucket   = aws_s3_bucket.secondary.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "secondary" {
  provider = aws.secondary
  bucket   = aws_s3_bucket.secondary.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "secondary" {
  provider = aws.secondary
  bucket   = aws_s3_bucket.secondary.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "secondary" {
  provider                = aws.secondary
  bucket                  = aws_s3_bucket.secondary.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "secondary" {
  provider = aws.secondary
  bucket   = aws_s3_bucket.secondary.id
  policy   = local.tls_only_policy.secondary

  depends_on = [aws_s3_bucket_public_access_block.secondary]
}

resource "aws_s3_bucket_lifecycle_configuration" "secondary" {
  count    = var.noncurrent_version_expiration_days == null ? 0 : 1
  provider = aws.secondary
  bucket   = aws_s3_bucket.secondary.id
  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.secondary]
}

# --- policies -----------------------------------------------------------------

locals {
  bucket_arns = {
    primary   = aws_s3_bucket.primary.arn
    secondary = aws_s3_bucket.secondary.arn
  }
  tls_only_policy = {
    for side, arn in local.bucket_arns : side => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [arn, "${arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }]
    })
  }
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
        Resource = [aws_s3_bucket.primary.arn]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
        Resource = ["${aws_s3_bucket.primary.arn}/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
        Resource = ["${aws_s3_bucket.secondary.arn}/*"]
      },
    ]
  })
}

resource "aws_s3_bucket_replication_configuration" "this" {
  provider = aws.primary
  bucket   = aws_s3_bucket.primary.id
  role     = aws_iam_role.replication.arn

  rule {
    id     = "to-${var.secondary_region}"
    status = "Enabled"
    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    destination {
      bucket        = aws_s3_bucket.secondary.arn
      storage_class = "STANDARD"
    }
  }

  # replication needs versioning on both sides first
  depends_on = [aws_s3_bucket_versioning.primary, aws_s3_bucket_versioning.secondary]
}
