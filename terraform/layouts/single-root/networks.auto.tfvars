# PLACEHOLDERS: REPLACE every ID below with your own VPCs, private subnets and client security groups
# before the first plan. The all-zero IDs pass validation but match nothing in AWS, so a plan that still
# uses them fails when it looks the subnets up.
#
# Give each environment private subnets in at least two Availability Zones; Aurora spreads its instances
# over them. Clients reach a database through allowed_security_group_ids (preferred) or
# allowed_cidr_blocks (e.g. a VPN range); nothing else can.
networks = {
  dev = {
    vpc_id                     = "vpc-00000000000000001"
    subnet_ids                 = ["subnet-00000000000000011", "subnet-00000000000000012"]
    allowed_security_group_ids = ["sg-00000000000000011"]
    allowed_cidr_blocks        = []
  }

  staging = {
    vpc_id                     = "vpc-00000000000000002"
    subnet_ids                 = ["subnet-00000000000000021", "subnet-00000000000000022"]
    allowed_security_group_ids = ["sg-00000000000000021"]
    allowed_cidr_blocks        = []
  }

  prod = {
    vpc_id                     = "vpc-00000000000000003"
    subnet_ids                 = ["subnet-00000000000000031", "subnet-00000000000000032", "subnet-00000000000000033"]
    allowed_security_group_ids = ["sg-00000000000000031"]
    allowed_cidr_blocks        = []
  }
}
