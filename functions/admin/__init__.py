"""Administration: admin tokens."""
