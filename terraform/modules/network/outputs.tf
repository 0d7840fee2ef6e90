output "vpc_id" {
  description = "The VPC's id."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "The VPC's network."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets, in the order of var.azs."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (NAT egress), in the order of var.azs."
  value       = aws_subnet.private[*].id
}

output "database_subnet_ids" {
  description = "Database subnets (no egress), in the order of var.azs."
  value       = aws_subnet.database[*].id
}

output "database_subnet_group_name" {
  description = "The DB subnet group over the database subnets."
  value       = aws_db_subnet_group.this.name
}

output "private_zone_id" {
  description = "The private Route 53 zone associated with the VPC."
  value       = aws_route53_zone.private.zone_id
}

output "private_zone_name" {
  description = "The private zone's name."
  value       = aws_route53_zone.private.name
}

output "nat_public_ips" {
  description = "Public addresses of the NAT gateways (the VPC's egress addresses)."
  value       = aws_eip.nat[*].public_ip
}
