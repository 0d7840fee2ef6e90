output "fqdn" {
  description = "The failover name clients use."
  value       = aws_route53_record.this["primary"].fqdn
}

output "primary_health_check_id" {
  description = "Health check of the primary region's endpoint."
  value       = aws_route53_health_check.this["primary"].id
}

output "secondary_health_check_id" {
  description = "Health check of the secondary region's endpoint."
  value       = aws_route53_health_check.this["secondary"].id
}
