# REPLACE the values below with your own before the first plan.
region     = "eu-west-1"
repository = "github.com/REPLACE-ME/rds-provisioner"
