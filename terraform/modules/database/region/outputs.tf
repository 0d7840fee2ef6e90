output "security_group_id" {
  description = "The database's security group in this region."
  value       = aws_security_group.this.id
}

output "record_fqdn" {
  description = "The database's name in this region's private zone."
  value       = aws_route53_record.this.fqdn
}
