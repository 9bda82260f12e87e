"""Short links: one per (employee, content item, network), resolved on the redirect path."""
