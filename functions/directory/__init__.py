"""The employee directory."""
