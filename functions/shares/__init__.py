"""Sharing: signed share links and the networks' share intents."""
