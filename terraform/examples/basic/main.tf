# The smallest useful deployment: everything at its defaults, offline agents (no model), in one
# region. Copy this folder, set project_id in terraform.tfvars, and apply; see ../../README.md.
module "agentjobs" {
  source = "../.."

  project_id      = var.project_id
  region          = var.region
  secret_versions = var.secret_versions
  admin_members   = var.admin_members

  # A model for the LLM paths, and its key (add the secret version first):
  # default_model   = "openai/gpt-4o-mini"
  # secret_versions = { OPENAI_API_KEY = "1" }
}
