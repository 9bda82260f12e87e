"""Polls in the digest: eNPS (0-10) and programme satisfaction (1-5), their signed answer links, and results."""
