output "fqdn" {
  value = aws_route53_record.this["primary"].fqdn
}

output "primary_health_check_id" {
  value = aws_route53_health_check.this["primary"].id
}

output "secondary_health_check_id" {
  value = aws_route53_health_check.this["secondary"].id
}
