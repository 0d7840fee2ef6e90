# Route 53 failover: the name answers with the primary region's endpoint
# while its health check passes, and with the secondary's when it fails.
# The secondary has a health check of its own, so that Route 53 answers
# with the primary when both are down instead of with a dead secondary.

locals {
  targets = {
    primary   = var.primary_target
    secondary = var.secondary_target
  }
  https = var.health_check_port == 443
}

resource "aws_route53_health_check" "this" {
  for_each          = local.targets
  fqdn              = each.value
  port              = var.health_check_port
  type              = local.https ? "HTTPS" : "HTTP"
  enable_sni        = local.https ? true : null
  resource_path     = var.health_check_path
  failure_threshold = var.failure_threshold
  request_interval  = var.request_interval
  tags              = merge(var.tags, { Name = "${var.record_name}-${each.key}" })
}

resource "aws_route53_record" "this" {
  for_each        = local.targets
  zone_id         = var.zone_id
  name            = var.record_name
  type            = "CNAME"
  ttl             = var.ttl
  records         = [each.value]
  set_identifier  = each.key
  health_check_id = aws_route53_health_check.this[each.key].id

  failover_routing_policy {
    type = upper(each.key)
  }
}
