variable "project_id" {
  description = "Google Cloud project id to deploy agentjobs into."
  type        = string
}

variable "region" {
  description = "Region for the functions and the data, e.g. europe-west1."
  type        = string
  default     = "europe-west1"
}

variable "secret_versions" {
  description = "Secrets to expose to the functions, env variable => version (see the module's README)."
  type        = map(string)
  default     = {}
}

variable "admin_members" {
  description = "IAM members who run the admin CLI, e.g. [\"user:you@example.com\"]."
  type        = list(string)
  default     = []
}
