# Provider pins. The module is written against the google provider 6.x schema; 7.x renamed and
# removed attributes, so the upper bound is deliberate. Nothing here has been applied against a
# real project from the development machines (the provider cannot be downloaded there): see
# README.md, "What is verified".
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.20.0, < 7.0.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4.0, < 3.0.0"
    }
  }
}
