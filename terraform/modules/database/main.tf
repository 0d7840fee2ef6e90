# PostgreSQL with a replica in a second region, in one of two shapes:
#
#   aurora-global  an Aurora global database: a writer cluster in the
#                  primary region, a read-only cluster in the secondary
#                  that can be promoted. AWS cannot manage the password of a
#                  global cluster, so it comes in through a write-only
#                  argument from an ephemeral variable and is never stored.
#   rds-replica    an RDS instance with a cross-region read replica, its
#                  password managed by RDS in Secrets Manager.
#
# Each region's private zone gets a CNAME <record_name> for its side.

locals {
  aurora = var.topology == "aurora-global"
  # Aurora needs a full version; a major version maps to a known minor
  aurora_versions = { "13" = "13.12", "14" = "14.9", "15" = "15.4", "16" = "16.1", "17" = "17.4" }
  version         = local.aurora && !strcontains(var.engine_version, ".") ? lookup(local.aurora_versions, var.engine_version, var.engine_version) : var.engine_version
  final_snapshot  = var.deletion_protection ? false : true
}

resource "aws_security_group" "primary" {
  provider    = aws.primary
  name_prefix = "${substr(var.name, 0, 40)}-db-"
  description = "PostgreSQL of ${var.name}"
  vpc_id      = var.primary_vpc_id
  ingress {
    description = "PostgreSQL from the VPC"
    from_port   = var.port
    to_port     = var.port
    protocol    = "tcp"
    cidr_blocks = var.primary_allowed_cidrs
  }
  tags = var.tags
}

resource "aws_security_group" "secondary" {
  provider    = aws.secondary
  name_prefix = "${substr(var.name, 0, 40)}-db-"
  description = "PostgreSQL of ${var.name}"
  vpc_id      = var.secondary_vpc_id
  ingress {
    description = "PostgreSQL from the VPC"
    from_port   = var.port
    to_port     = var.port
    protocol    = "tcp"
    cidr_blocks = var.secondary_allowed_cidrs
  }
  tags = var.tags
}

# Encrypted storage in the secondary region needs a key of that region.
resource "aws_kms_key" "secondary" {
  provider            = aws.secondary
  description         = "storage of ${var.name} in the secondary region"
  enable_key_rotation = true
  tags                = var.tags
}

# --- aurora-global ----------------------------------------------------------

resource "aws_rds_global_cluster" "this" {
  count                     = local.aurora ? 1 : 0
  provider                  = aws.primary
  global_cluster_identifier = var.name
  engine                    = "aurora-postgresql"
  engine_version            = local.version
  database_name             = var.database_name
  storage_encrypted         = true
  deletion_protection       = var.deletion_protection
}

resource "aws_rds_cluster" "primary" {
  count                      = local.aurora ? 1 : 0
  provider                   = aws.primary
  cluster_identifier         = "${var.name}-primary"
  global_cluster_identifier  = aws_rds_global_cluster.this[0].id
  engine                     = aws_rds_global_cluster.this[0].engine
  engine_version             = local.version
  database_name              = var.database_name
  master_username            = var.master_username
  master_password_wo         = var.master_password_wo
  master_password_wo_version = 1
  port                       = var.port
  db_subnet_group_name       = var.primary_subnet_group
  vpc_security_group_ids     = [aws_security_group.primary.id]
  storage_encrypted          = true
  backup_retention_period    = var.backup_retention_days
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = !local.final_snapshot
  final_snapshot_identifier  = local.final_snapshot ? "${var.name}-final" : null
  copy_tags_to_snapshot      = true
  tags                       = var.tags
}

resource "aws_rds_cluster_instance" "primary" {
  count                = local.aurora ? var.instances : 0
  provider             = aws.primary
  identifier           = "${var.name}-primary-${count.index}"
  cluster_identifier   = aws_rds_cluster.primary[0].id
  engine               = aws_rds_cluster.primary[0].engine
  engine_version       = local.version
  instance_class       = var.instance_class
  db_subnet_group_name = var.primary_subnet_group
  tags                 = var.tags
}

resource "aws_rds_cluster" "secondary" {
  count                     = local.aurora ? 1 : 0
  provider                  = aws.secondary
  cluster_identifier        = "${var.name}-secondary"
  global_cluster_identifier = aws_rds_global_cluster.this[0].id
  engine                    = aws_rds_global_cluster.this[0].engine
  engine_version            = local.version
  port                      = var.port
  db_subnet_group_name      = var.secondary_subnet_group
  vpc_security_group_ids    = [aws_security_group.secondary.id]
  storage_encrypted         = true
  kms_key_id                = aws_kms_key.secondary.arn
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = true
  tags                      = var.tags

  lifecycle {
    # set by AWS while the cluster is a member of the global database
    ignore_changes = [replication_source_identifier]
  }
  depends_on = [aws_rds_cluster_instance.primary]
}

resource "aws_rds_cluster_instance" "secondary" {
  count                = local.aurora ? var.instances : 0
  provider             = aws.secondary
  identifier           = "${var.name}-secondary-${count.index}"
  cluster_identifier   = aws_rds_cluster.secondary[0].id
  engine               = aws_rds_cluster.secondary[0].engine
  engine_version       = local.version
  instance_class       = var.instance_class
  db_subnet_group_name = var.secondary_subnet_group
  tags                 = var.tags
}

# --- rds-replica ------------------------------------------------------------

resource "aws_db_instance" "primary" {
  count                       = local.aurora ? 0 : 1
  provider                    = aws.primary
  identifier                  = "${var.name}-primary"
  engine                      = "postgres"
  engine_version              = var.engine_version
  instance_class              = var.instance_class
  allocated_storage           = var.allocated_storage_gb
  storage_type                = "gp3"
  storage_encrypted           = true
  db_name                     = var.database_name
  username                    = var.master_username
  manage_master_user_password = true
  port                        = var.port
  multi_az                    = var.multi_az
  db_subnet_group_name        = var.primary_subnet_group
  vpc_security_group_ids      = [aws_security_group.primary.id]
  backup_retention_period     = var.backup_retention_days
  deletion_protection         = var.deletion_protection
  skip_final_snapshot         = !local.final_snapshot
  final_snapshot_identifier   = local.final_snapshot ? "${var.name}-final" : null
  copy_tags_to_snapshot       = true
  tags                        = var.tags
}

resource "aws_db_instance" "replica" {
  count                  = local.aurora ? 0 : 1
  provider               = aws.secondary
  identifier             = "${var.name}-replica"
  replicate_source_db    = aws_db_instance.primary[0].arn
  instance_class         = var.instance_class
  storage_type           = "gp3"
  storage_encrypted      = true
  kms_key_id             = aws_kms_key.secondary.arn
  port                   = var.port
  db_subnet_group_name   = var.secondary_subnet_group
  vpc_security_group_ids = [aws_security_group.secondary.id]
  deletion_protection    = var.deletion_protection
  skip_final_snapshot    = true
  tags                   = var.tags
}

# --- names ------------------------------------------------------------------

locals {
  primary_endpoint   = local.aurora ? aws_rds_cluster.primary[0].endpoint : aws_db_instance.primary[0].address
  secondary_endpoint = local.aurora ? aws_rds_cluster.secondary[0].reader_endpoint : aws_db_instance.replica[0].address
}

resource "aws_route53_record" "primary" {
  provider = aws.primary
  zone_id  = var.primary_zone_id
  name     = var.record_name
  type     = "CNAME"
  ttl      = 30
  records  = [local.primary_endpoint]
}

resource "aws_route53_record" "secondary" {
  provider = aws.secondary
  zone_id  = var.secondary_zone_id
  name     = var.record_name
  type     = "CNAME"
  ttl      = 30
  records  = [local.secondary_endpoint]
}
