"""Digest emails: who gets one, what it holds, how it is rendered and delivered exactly once."""
