# What the database needs in each of its regions besides itself: a security
# group that lets the region's network reach PostgreSQL, and a stable name
# for it in the region's private zone. The parent calls it once per region
# with that region's provider (Terraform cannot choose a resource's
# provider per for_each instance).

resource "aws_security_group" "this" {
  name_prefix = "${substr(var.name, 0, 40)}-db-"
  description = "PostgreSQL of ${var.name}"
  vpc_id      = var.vpc_id

  # no egress: the database starts no connections
  ingress {
    description = "PostgreSQL"
    protocol    = "tcp"
    from_port   = var.port
    to_port     = var.port
    cidr_blocks = var.allowed_cidrs
  }

  tags = merge(var.tags, { Name = "${var.name}-db" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "this" {
  zone_id = var.zone_id
  name    = var.record_name
  type    = "CNAME"
  ttl     = var.record_ttl
  records = [var.endpoint]
}
