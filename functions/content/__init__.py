"""The content library: items employees share."""
