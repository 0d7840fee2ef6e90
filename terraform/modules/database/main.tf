# PostgreSQL with a replica in a second region, in one of two shapes:
#
#   aurora-global  an Aurora global database: a writer cluster in the
#                  primary region, a read-only cluster in the secondary
#                  that can be promoted.
#   rds-replica    an RDS instance with a cross-region read replica.
#
# The master password: AWS can keep it in Secrets Manager itself
# (manage_master_user_password) neither for a cluster in a global database
# nor for an RDS instance that is the source of a read replica. So it comes
# from the operator, through an ephemeral variable, into the write-only
# arguments master_password_wo / password_wo: it is in no file, no plan and
# no state.
#
# Both: storage encrypted (the secondary region with a key of its own), a
# security group per region open on the port to the allowed networks only,
# and a CNAME <record_name> in each region's private zone for that region's
# side.

locals {
  aurora = var.topology == "aurora-global"

  # Aurora needs a full version; a major version maps to a known minor.
  aurora_engine_version = strcontains(var.engine_version, ".") ? var.engine_version : lookup(var.aurora_engine_versions, var.engine_version, var.engine_version)

  skip_final_snapshot = coalesce(var.skip_final_snapshot, !var.deletion_protection)
  final_snapshot_id   = local.skip_final_snapshot ? null : "${var.name}-final"
}

# --- both topologies ----------------------------------------------------------

module "primary" {
  source    = "./region"
  providers = { aws = aws.primary }

  name          = var.name
  vpc_id        = var.primary_vpc_id
  port          = var.port
  allowed_cidrs = var.primary_allowed_cidrs
  zone_id       = var.primary_zone_id
  record_name   = var.record_name
  record_ttl    = var.record_ttl
  endpoint      = local.primary_endpoint
  tags          = var.tags
}

module "secondary" {
  source    = "./region"
  providers = { aws = aws.secondary }

  name          = var.name
  vpc_id        = var.secondary_vpc_id
  port          = var.port
  allowed_cidrs = var.secondary_allowed_cidrs
  zone_id       = var.secondary_zone_id
  record_name   = var.record_name
  record_ttl    = var.record_ttl
  endpoint      = local.secondary_endpoint
  tags          = var.tags
}

# Encrypted storage replicated into the secondary region needs a key of
# that region (the primary uses the account's aws/rds key).
resource "aws_kms_key" "secondary" {
  provider                = aws.secondary
  description             = "database storage of ${var.name} in the secondary region"
  enable_key_rotation     = true
  deletion_window_in_days = local.skip_final_snapshot ? 7 : 30
  tags                    = merge(var.tags, { Name = "${var.name}-db" })
}

resource "aws_kms_alias" "secondary" {
  provider      = aws.secondary
  name          = "alias/${var.name}-db"
  target_key_id = aws_kms_key.secondary.key_id
}

# --- aurora-global ------------------------------------------------------------

resource "aws_rds_global_cluster" "this" {
  count                     = local.aurora ? 1 : 0
  provider                  = aws.primary
  global_cluster_identifier = var.name
  engine                    = "aurora-postgresql"
  engine_version            = local.aurora_engine_version
  database_name             = var.database_name
  storage_encrypted         = true
  deletion_protection       = var.deletion_protection
  tags                      = var.tags
}

resource "aws_rds_cluster" "primary" {
  count                     = local.aurora ? 1 : 0
  provider                  = aws.primary
  cluster_identifier        = "${var.name}-primary"
  global_cluster_identifier = aws_rds_global_cluster.this[0].id
  engine                    = aws_rds_global_cluster.this[0].engine
  engine_version            = aws_rds_global_cluster.this[0].engine_version
  database_name             = var.database_name
  master_username           = var.master_username
  # write-only: sent to AWS, never kept in the plan or the state
  master_password_wo              = var.master_password_wo
  master_password_wo_version      = var.master_password_wo_version
  port                            = var.port
  db_subnet_group_name            = var.primary_subnet_group
  vpc_security_group_ids          = [module.primary.security_group_id]
  storage_encrypted               = true
  backup_retention_period         = var.backup_retention_days
  enabled_cloudwatch_logs_exports = ["postgresql"]
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = local.skip_final_snapshot
  final_snapshot_identifier       = local.final_snapshot_id
  copy_tags_to_snapshot           = true
  tags                            = merge(var.tags, { Name = "${var.name}-primary" })

  lifecycle {
    # the engine version is the global cluster's; AWS upgrades minors
    ignore_changes = [engine_version]
  }
}

resource "aws_rds_cluster_instance" "primary" {
  count                = local.aurora ? var.instances : 0
  provider             = aws.primary
  identifier           = "${var.name}-primary-${count.index}"
  cluster_identifier   = aws_rds_cluster.primary[0].id
  engine               = aws_rds_cluster.primary[0].engine
  engine_version       = aws_rds_cluster.primary[0].engine_version
  instance_class       = var.instance_class
  db_subnet_group_name = var.primary_subnet_group
  publicly_accessible  = false
  promotion_tier       = count.index
  tags                 = merge(var.tags, { Name = "${var.name}-primary-${count.index}" })

  lifecycle {
    ignore_changes = [engine_version]
  }
}

resource "aws_rds_cluster" "secondary" {
  count                           = local.aurora ? 1 : 0
  provider                        = aws.secondary
  cluster_identifier              = "${var.name}-secondary"
  global_cluster_identifier       = aws_rds_global_cluster.this[0].id
  engine                          = aws_rds_global_cluster.this[0].engine
  engine_version                  = aws_rds_global_cluster.this[0].engine_version
  port                            = var.port
  db_subnet_group_name            = var.secondary_subnet_group
  vpc_security_group_ids          = [module.secondary.security_group_id]
  storage_encrypted               = true
  kms_key_id                      = aws_kms_key.secondary.arn
  backup_retention_period         = var.backup_retention_days
  enabled_cloudwatch_logs_exports = ["postgresql"]
  deletion_protection             = var.deletion_protection
  # a member of a global database cannot take a final snapshot
  skip_final_snapshot   = true
  copy_tags_to_snapshot = true
  tags                  = merge(var.tags, { Name = "${var.name}-secondary" })

  lifecycle {
    # AWS sets these while the cluster is a secondary of the global database
    ignore_changes = [replication_source_identifier, engine_version]
  }

  # a secondary can only join once the primary has a writer instance
  depends_on = [aws_rds_cluster_instance.primary]
}

resource "aws_rds_cluster_instance" "secondary" {
  count                = local.aurora ? var.instances : 0
  provider             = aws.secondary
  identifier           = "${var.name}-secondary-${count.index}"
  cluster_identifier   = aws_rds_cluster.secondary[0].id
  engine               = aws_rds_cluster.secondary[0].engine
  engine_version       = aws_rds_cluster.secondary[0].engine_version
  instance_class       = var.instance_class
  db_subnet_group_name = var.secondary_subnet_group
  publicly_accessible  = false
  promotion_tier       = count.index
  tags                 = merge(var.tags, { Name = "${var.name}-secondary-${count.index}" })

  lifecycle {
    ignore_changes = [engine_version]
  }
}

# --- rds-replica --------------------------------------------------------------

resource "aws_db_instance" "primary" {
  count          = local.aurora ? 0 : 1
  provider       = aws.primary
  identifier     = "${var.name}-primary"
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  db_name        = var.database_name
  username       = var.master_username
  # write-only: sent to AWS, never kept in the plan or the state. (RDS cannot
  # manage the password of an instance with read replicas.)
  password_wo                     = var.master_password_wo
  password_wo_version             = var.master_password_wo_version
  allocated_storage               = var.allocated_storage_gb
  storage_type                    = "gp3"
  storage_encrypted               = true
  port                            = var.port
  multi_az                        = var.multi_az
  db_subnet_group_name            = var.primary_subnet_group
  vpc_security_group_ids          = [module.primary.security_group_id]
  publicly_accessible             = false
  backup_retention_period         = var.backup_retention_days
  enabled_cloudwatch_logs_exports = ["postgresql"]
  auto_minor_version_upgrade      = true
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = local.skip_final_snapshot
  final_snapshot_identifier       = local.final_snapshot_id
  copy_tags_to_snapshot           = true
  tags                            = merge(var.tags, { Name = "${var.name}-primary" })
}

resource "aws_db_instance" "replica" {
  count    = local.aurora ? 0 : 1
  provider = aws.secondary
  # engine, version, name, user and storage size come from the source
  identifier                      = "${var.name}-replica"
  replicate_source_db             = aws_db_instance.primary[0].arn
  instance_class                  = var.instance_class
  storage_type                    = "gp3"
  storage_encrypted               = true
  kms_key_id                      = aws_kms_key.secondary.arn
  port                            = var.port
  multi_az                        = var.multi_az
  db_subnet_group_name            = var.secondary_subnet_group
  vpc_security_group_ids          = [module.secondary.security_group_id]
  publicly_accessible             = false
  enabled_cloudwatch_logs_exports = ["postgresql"]
  auto_minor_version_upgrade      = true
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = true
  tags                            = merge(var.tags, { Name = "${var.name}-replica" })
}

# --- the endpoints the private zones name -----------------------------------

locals {
  primary_endpoint   = local.aurora ? aws_rds_cluster.primary[0].endpoint : aws_db_instance.primary[0].address
  secondary_endpoint = local.aurora ? aws_rds_cluster.secondary[0].reader_endpoint : aws_db_instance.replica[0].address
}
